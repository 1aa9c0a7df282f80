"""Handler trigger kinds: each key a ``handlers:`` entry is triggered by is a kind of the
registry (built in: engine/kinds/handlers/); a trigger defined outside the engine
(tests/fixtures/kinds/location_trigger.py) works end to end by registering its one module."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from engine.kinds import builtin_kinds
from engine.kinds.handlers.command import CommandTrigger
from engine.scenario.graph import edges
from engine.scenario.kinds import HandlerKind
from engine.scenario.pipeline import load_bundle
from engine.scenario.registry import KindRegistry
from engine.testing import Playground
from tests.fixtures.kinds.location_trigger import LocationTrigger

ROOT = Path(__file__).resolve().parent.parent
WHERE = ROOT / "tests" / "fixtures" / "kinds" / "where.yaml"


def with_location() -> KindRegistry:
    return builtin_kinds().with_kinds(LocationTrigger)


def test_the_built_in_registry_does_not_know_the_location_trigger() -> None:
    bundle, diagnostics = load_bundle(WHERE)
    assert bundle is None
    (problem,) = [d for d in diagnostics if d.severity.value == "error"]
    assert (problem.line, problem.code) == (13, "unknown-key")
    assert problem.message.startswith("'location' is not a valid key for a handler")


def test_registering_the_location_trigger_makes_the_scenario_check_clean() -> None:
    bundle, diagnostics = load_bundle(WHERE, kinds=with_location())
    assert bundle is not None, diagnostics
    assert diagnostics == []
    assert bundle.kinds is not None
    assert bundle.kinds.handler_keys[-1] == "location"
    assert (("@handlers", "location"), ("main", "home"), "start") in {
        (e.source, e.target, e.label) for e in edges(bundle.scenario)}


def test_a_handler_still_needs_exactly_one_trigger_and_the_message_names_the_new_one(
        tmp_path: Path) -> None:
    both = tmp_path / "where.yaml"
    both.write_text(WHERE.read_text(encoding="utf-8").replace(
        "{location: true,", "{location: true, command: here,"), encoding="utf-8")
    _, diagnostics = load_bundle(both, root=ROOT, kinds=with_location())
    (problem,) = [d for d in diagnostics if d.line == 13]
    assert problem.message.endswith(
        "exactly one of 'command', 'text', 'callback', 'reply_to', 'fallback: true' "
        "or 'location: true'")


def test_the_location_trigger_checks_its_own_handler(tmp_path: Path) -> None:
    group = tmp_path / "where.yaml"
    group.write_text(WHERE.read_text(encoding="utf-8").replace(
        "{location: true,", "{location: true, chat: group,"), encoding="utf-8")
    bundle, diagnostics = load_bundle(group, root=ROOT, kinds=with_location())
    assert bundle is not None
    assert [(d.line, d.code) for d in diagnostics] == [(13, "group-location")]


async def test_a_user_shares_a_location_and_the_handler_answers_with_it() -> None:
    bundle, diagnostics = load_bundle(WHERE, kinds=with_location())
    assert bundle is not None, diagnostics
    async with Playground.open(bundle) as play:
        ann = play.user("Ann", language_code="en")
        await ann.send("/start")
        assert (ann.last.text or "").strip() == "Share your location to find the nearest shop."
        await ann.send_location(41.3, 69.25)
        assert "You are at 41.3, 69.25." in [t.strip() for t in ann.texts()]
        assert (ann.last.text or "").strip() == "Share your location to find the nearest shop."
        await ann.send("hello")  # a plain text is no location: nothing answers it
        assert (ann.last.text or "").strip() == "Share your location to find the nearest shop."
        assert play.rejected_calls() == []


def test_a_registry_refuses_a_trigger_twice_or_under_a_key_every_handler_has() -> None:
    with pytest.raises(ValueError, match="registered twice: command"):
        builtin_kinds().with_kinds(CommandTrigger)

    class ChatTrigger(HandlerKind):
        key = "chat"

    with pytest.raises(ValueError, match="taken by every handler: chat"):
        builtin_kinds().with_kinds(ChatTrigger)


def test_every_trigger_module_of_the_engine_is_in_the_built_in_registry() -> None:
    """A new module in engine/kinds/handlers/ is listed once, in its __init__.py."""
    defined: set[type] = set()
    for path in (ROOT / "engine" / "kinds" / "handlers").glob("*.py"):
        module = importlib.import_module(f"engine.kinds.handlers.{path.stem}")
        defined |= {value for value in vars(module).values()
                    if isinstance(value, type) and value.__module__ == module.__name__
                    and issubclass(value, HandlerKind)}
    assert defined == set(builtin_kinds().handlers)
    assert builtin_kinds().handler_keys == ("command", "text", "callback", "reply_to",
                                            "fallback")
