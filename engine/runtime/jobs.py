"""Background jobs: the scenario's ``jobs:`` run their action every ``every`` seconds.

A job is due when the runtime's clock has passed its next run; :meth:`JobRunner.run_due` runs the
due ones. In production a task calls it every second (:meth:`JobRunner.start`); tests and the
terminal chat move a controllable clock and call it themselves, so time-based behaviour (SLA
reminders) is tested without sleeping. Each period is claimed in the key-value store first, so
with several processes sharing Redis a period runs once. A failing job is logged and tried again
next period: it never stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime

from engine.actions import ChatInfo, EventInfo, UserInfo
from engine.compile.values import CompiledJob
from engine.runtime.context import Runtime
from engine.runtime.executor import execute
from engine.runtime.flow import evaluate_args
from engine.runtime.pacing import notifications
from engine.runtime.storage import KeyValueStore

__all__ = ["JobRunner"]

log = logging.getLogger("engine.jobs")
TICK_SECONDS = 1.0


class JobRunner:
    """Runs one bot's jobs on the runtime's clock."""

    def __init__(self, runtime: Runtime, jobs: Mapping[str, CompiledJob], kv: KeyValueStore,
                 bot_key: str) -> None:
        self.runtime = runtime
        self.jobs = dict(jobs)
        self.kv = kv
        self.bot_key = bot_key
        start = runtime.clock().timestamp()
        self._next: dict[str, float] = {name: start + job.every for name, job in self.jobs.items()}
        self._task: asyncio.Task[None] | None = None
        self._running: asyncio.Lock = asyncio.Lock()
        self.runs: dict[str, int] = dict.fromkeys(self.jobs, 0)
        self.failures: dict[str, int] = dict.fromkeys(self.jobs, 0)

    def _now(self) -> datetime:
        return self.runtime.clock()

    async def run_due(self) -> list[str]:
        """Run every job whose time has come; the names of those that ran (failed ones too)."""
        async with self._running:
            now = self._now().timestamp()
            ran: list[str] = []
            for job in self.jobs.values():
                if now < self._next[job.name]:
                    continue
                self._next[job.name] = now + job.every
                period = int(now // job.every)
                claim = f"engine:job:{self.bot_key}:{job.name}:{period}"
                if not await self.kv.set_nx(claim, "1", job.every * 2):
                    continue  # another process runs this period
                await self._run(job)
                ran.append(job.name)
            return ran

    async def _run(self, job: CompiledJob) -> None:
        runtime = self.runtime
        scope = {"settings": runtime.settings.public(), "now": runtime.clock()}
        locale = runtime.scenario.default_locale
        try:
            args = evaluate_args(job.call, scope)
            ctx = runtime.action_context(UserInfo(id=0), ChatInfo(id=0, type="job"), locale, {},
                                         EventInfo())
            with notifications():  # what a job sends yields to the answers to users
                await execute(job.call, args, ctx, None)  # a job's outcomes lead nowhere
            self.runs[job.name] += 1
        except Exception:
            self.failures[job.name] += 1
            log.exception("job %s failed (%s); it runs again in %s s", job.name,
                          job.where or "no position", job.every)

    # ------------------------------------------------------------------ the background task

    def start(self) -> None:
        """Run due jobs every second in a background task (no-op without jobs)."""
        if self.jobs and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="engine-jobs")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.run_due()

    async def stop(self) -> None:
        """Stop the background task, letting a job that is running finish first."""
        task, self._task = self._task, None
        if task is None:
            return
        async with self._running:  # wait for the current run; no new one starts while held
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
