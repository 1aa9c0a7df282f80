"""Background jobs (``jobs:``) and the graceful stop: on the hooked fixture scenario."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from engine.runtime.jobs import JobRunner
from engine.scenario.pipeline import load_bundle
from engine.testing import Playground, SandboxClock
from tests.fixtures.hooked_actions import Remote

from .test_packages import SCENARIO, services_with


async def test_a_job_runs_once_its_period_has_passed_and_then_every_period() -> None:
    remote = Remote()
    async with Playground.open(SCENARIO, services=services_with(remote)) as play:
        assert await play.advance(timedelta(seconds=59)) == []
        assert await play.advance(timedelta(seconds=1)) == ["tick"]
        assert await play.advance(timedelta(seconds=30)) == []
        assert await play.advance(timedelta(seconds=30)) == ["tick"]
        assert remote.ticks == 2


async def test_a_failing_job_is_logged_and_tried_again_next_period(
        caplog: pytest.LogCaptureFixture) -> None:
    remote = Remote(tick_fails=True)
    async with Playground.open(SCENARIO, services=services_with(remote)) as play:
        with caplog.at_level(logging.ERROR, logger="engine.jobs"):
            assert await play.advance(timedelta(minutes=1)) == ["tick"]
        assert "job tick failed" in caplog.text
        assert play.app.jobs.failures["tick"] == 1
        remote.tick_fails = False
        await play.advance(timedelta(minutes=1))
        assert remote.ticks == 1


async def test_two_processes_sharing_storage_run_each_period_once() -> None:
    remote = Remote()
    clock = SandboxClock()
    async with Playground.open(SCENARIO, services=services_with(remote), clock=clock) as play:
        app = play.app
        other = JobRunner(app.runtime, app.jobs.jobs, app.storage.kv, str(app.bot.id))
        clock.advance(timedelta(minutes=1))
        ran = [await app.jobs.run_due(), await other.run_due()]
        assert sorted(map(len, ran)) == [0, 1]
        assert remote.ticks == 1


async def test_the_background_task_runs_jobs_on_its_own() -> None:
    remote = Remote()
    clock = SandboxClock()
    async with Playground.open(SCENARIO, services=services_with(remote), clock=clock,
                               jobs=True) as play:
        clock.advance(timedelta(minutes=5))
        for _ in range(300):
            if remote.ticks:
                break
            await asyncio.sleep(0.01)
        assert remote.ticks == 1
        await play.app.jobs.stop()


async def test_stopping_lets_updates_in_flight_finish_before_resources_close() -> None:
    remote = Remote()
    async with Playground.open(SCENARIO, services=services_with(remote)) as play:
        alice = play.user()
        update = asyncio.create_task(alice.send("/slow"))
        await asyncio.wait_for(remote.started.wait(), 10)
        closing = asyncio.create_task(play.app.close())
        await asyncio.sleep(0.05)
        assert not closing.done()  # waiting for the update
        remote.gate.set()
        await update
        await closing
    assert remote.events == ["slow started", "slow finished", "closed"]


def test_a_job_cannot_route_outcomes(tmp_path: Path) -> None:
    text = SCENARIO.read_text(encoding="utf-8").replace(
        "templates: tests/", f"templates: {SCENARIO.parents[3]}/tests/").replace(
        "tick: {every: 60, action: hooked.tick}",
        "tick: {every: 60, action: {call: hooked.tick, on: {ok: main}}}")
    path = tmp_path / "hooked.yaml"
    path.write_text(text, encoding="utf-8")
    bundle, diagnostics = load_bundle(path)
    assert bundle is None
    assert [d.code for d in diagnostics] == ["job-routes"]
    assert diagnostics[0].line == text.splitlines().index(
        next(line for line in text.splitlines() if "tick:" in line)) + 1
