"""Failed bots are tried again: a bot that could not start (Telegram refused its token, the Bot API
did not answer) is started anew after a growing delay, while the others keep running.

The delays come from aiogram's own :class:`~aiogram.utils.backoff.Backoff` (the one its polling
uses): by default 5 s, then about twice as long each time, up to 10 minutes. A bot removed or
replaced meanwhile (a shop disconnected, its token changed) is no longer tried; the first success
ends the tries, and a bot that comes up once the server listens registers its webhook at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiogram.utils.backoff import Backoff, BackoffConfig

from engine.errors import EngineError

if TYPE_CHECKING:
    from engine.serve.server import HostedBot, Server

__all__ = ["DEFAULT_BACKOFF", "Reviver"]

log = logging.getLogger("engine.serve")
DEFAULT_BACKOFF = BackoffConfig(min_delay=5.0, max_delay=600.0, factor=2.0, jitter=0.1)


class Reviver:
    """One background task per failed bot, trying to start it again."""

    def __init__(self, server: Server, config: BackoffConfig = DEFAULT_BACKOFF) -> None:
        self.server, self.config = server, config
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def failed(self, hosted: HostedBot) -> None:
        """``hosted`` could not start: try it again later (once a loop runs)."""
        name = hosted.config.name
        task = self._tasks.get(name)
        if task is not None and not task.done():
            return  # already being tried; this was one of its tries
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._tasks[name] = loop.create_task(self._revive(hosted), name=f"revive-{name}")

    async def _revive(self, hosted: HostedBot) -> None:
        name = hosted.config.name
        backoff = Backoff(self.config)
        while True:
            delay = next(backoff)
            log.warning("bot %s: trying to start it again in %.0f s", name, delay, extra={"bot": name})
            await asyncio.sleep(delay)
            if self.server.bots.get(name) is not hosted:
                return  # removed or replaced meanwhile
            if await self._restart(hosted):
                log.warning("bot %s started after %d tries", name, backoff.counter, extra={"bot": name})
                return

    async def _restart(self, failed: HostedBot) -> bool:
        """Start the bot anew, as at start-up; False when it fails again (marked so)."""
        server, name = self.server, failed.config.name
        fresh = type(failed)(failed.config)
        try:
            await server._start_bot(fresh)
        except EngineError as exc:
            server._failed(failed, exc)
            return False
        if server.bots.get(name) is not failed and fresh.app is not None:
            await fresh.app.close(drain_timeout=server.drain_timeout)  # removed meanwhile
            return True
        server.bots[name] = fresh
        await server._live_if_listening(fresh)
        return True

    def pending(self) -> list[str]:
        """The bots still being tried."""
        return [name for name, task in self._tasks.items() if not task.done()]

    def forget(self, name: str) -> None:
        """No more tries for ``name`` (it was removed)."""
        task = self._tasks.pop(name, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
