"""Action packages' start-up hooks: services, settings sources, checks, sandboxes, clean-up."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.actions import Services
from engine.errors import ConfigError
from engine.scenario.pipeline import load_bundle
from engine.testing import Playground
from tests.fixtures.hooked_actions import Remote

SCENARIO = Path(__file__).parent / "fixtures" / "hooked" / "hooked.yaml"


class NoWorld:
    """A simulated Telegram nobody uses (the fixture's sandbox creates no people)."""

    def user(self, first_name: str, *, language_code: str | None = None) -> int:
        raise AssertionError("no people expected")

    def group(self, title: str, member_ids: Sequence[int]) -> int:
        raise AssertionError("no groups expected")

    def note(self, text: str) -> None:
        raise AssertionError("no notes expected")


def services_with(remote: Remote) -> Services:
    services = Services()
    services.add(Remote, remote)
    return services


async def test_settings_come_from_the_package_source_below_the_environment() -> None:
    remote = Remote()
    async with Playground.open(SCENARIO, services=services_with(remote), environ={"LIMIT": "9"}) as play:
        alice = play.user(language_code="en")
        await alice.send("/start")
        assert alice.last.text == "Hello (limit 9, from remote)"


async def test_settings_are_refreshed_from_the_source_and_survive_its_outage() -> None:
    remote = Remote()
    async with Playground.open(SCENARIO, services=services_with(remote)) as play:
        play.app.live_settings.ttl = 0
        alice = play.user(language_code="en")
        remote.values["GREETING"] = "Salom"
        await alice.send("/start")
        assert alice.last.text.startswith("Salom (limit 7")
        remote.down = True
        await alice.send("/start")
        assert alice.last.text.startswith("Salom (limit 7"), "the last good settings are kept"
        remote.down, remote.values["LIMIT"] = False, "not a number"
        await alice.send("/start")
        assert alice.last.text.startswith("Salom (limit 7"), "an unreadable value is not taken"


async def test_a_source_that_is_down_at_start_up_is_a_configuration_error() -> None:
    remote = Remote(down=True)
    with pytest.raises(ConfigError, match="cannot read settings from remote"):
        async with Playground.open(SCENARIO, services=services_with(remote)):
            pass
    assert remote.closed, "what the hook opened is closed again"


async def test_a_failed_start_up_check_stops_the_bot_and_cleans_up() -> None:
    remote = Remote(values={"GREETING": "Hi", "LIMIT": "500"})
    with pytest.raises(ConfigError, match="LIMIT: at most 100"):
        async with Playground.open(SCENARIO, services=services_with(remote)):
            pass
    assert remote.closed


async def test_a_missing_required_setting_names_it() -> None:
    with pytest.raises(ConfigError, match="GREETING is required"):
        async with Playground.open(SCENARIO, services=services_with(Remote(values={}))):
            pass


async def test_the_sandbox_flag_reaches_the_hook_and_the_stack_closes_with_the_bot() -> None:
    async with Playground.open(SCENARIO, sandbox=True) as play:
        alice = play.user(language_code="en")
        await alice.send("/start")
        assert alice.last.text == "Sandbox hello (limit 5, from remote)"
        remote = play.app.runtime.services.get(Remote)
    assert remote.closed


async def test_a_package_offers_its_sandbox_through_its_own_hook() -> None:
    from engine.playground.sandbox import Sandbox, start_sandboxes

    bundle, diagnostics = load_bundle(SCENARIO)
    assert bundle is not None, diagnostics
    async with contextlib.AsyncExitStack() as stack:
        sandbox = Sandbox(bundle.scenario.scenario, {"LIMIT": "9"}, stack, world=NoWorld())
        environ = await start_sandboxes(bundle.scenario.actions, sandbox)
    assert environ == {"LIMIT": "9", "GREETING": "Sandbox hello"}


async def test_outside_the_sandbox_its_hook_is_never_called() -> None:
    with pytest.raises(ConfigError, match="GREETING is required"):
        async with Playground.open(SCENARIO):
            pass
