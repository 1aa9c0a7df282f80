"""Start-up tries a service that does not answer again, with backoff, for a bounded time."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError, ServiceUnavailable, StartupError
from engine.startup import StartupRetry


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Down(ServiceUnavailable):
    service = "ERP"
    hint = "check ERP_URL"


class Refused(ServiceUnavailable):
    service = "ERP"
    transient = False


def retry(seconds: float, clock: FakeTime) -> StartupRetry:
    return StartupRetry(seconds=seconds, monotonic=clock.monotonic, sleep=clock.sleep)


async def test_a_service_that_comes_up_in_time_is_used() -> None:
    clock, calls = FakeTime(), []

    async def attempt() -> str:
        calls.append(clock.now)
        if len(calls) < 4:
            raise Down("ERP/Get: cannot connect")
        return "settings"

    assert await retry(60, clock).run("ERP", attempt) == "settings"
    assert clock.sleeps == [0.5, 1.0, 2.0], "exponential backoff"


async def test_a_service_that_never_answers_is_given_up_after_the_bound_with_its_hint() -> None:
    clock = FakeTime()

    async def attempt() -> None:
        raise Down("ERP/Get: cannot connect")

    with pytest.raises(StartupError) as caught:
        await retry(20, clock).run(lambda exc: getattr(exc, "service", "?"), attempt)
    assert str(caught.value) == "ERP did not answer (tried for 20 s): ERP/Get: cannot connect"
    assert caught.value.hint == "check ERP_URL"
    assert clock.sleeps == [0.5, 1, 2, 4, 8, 4.5], "capped at 8 s and at the bound"


async def test_a_refusal_is_not_tried_again() -> None:
    clock, calls = FakeTime(), []

    async def attempt() -> None:
        calls.append(1)
        raise Refused("ERP/Get: access denied")

    with pytest.raises(Refused):
        await retry(60, clock).run("ERP", attempt)
    assert calls == [1]
    assert clock.sleeps == []


def test_the_bound_comes_from_the_environment() -> None:
    assert StartupRetry.from_environ({}).seconds == 60
    assert StartupRetry.from_environ({"STARTUP_RETRY_SECONDS": "2.5"}).seconds == 2.5
    with pytest.raises(ConfigError, match="STARTUP_RETRY_SECONDS must be a number"):
        StartupRetry.from_environ({"STARTUP_RETRY_SECONDS": "soon"})
