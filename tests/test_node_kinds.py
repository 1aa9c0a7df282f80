"""Node kinds: a registry value lists the widget and input kinds a scenario may use; a kind
defined outside the engine (tests/fixtures/kinds/rating.py) works end to end by registering it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from engine.compile.bot import compile_bot
from engine.kinds import builtin_kinds
from engine.kinds.button import ButtonWidget
from engine.scenario.graph import edges
from engine.scenario.kinds import InputBase, WidgetBase
from engine.scenario.pipeline import load_bundle
from engine.scenario.registry import KindRegistry
from engine.testing import Playground
from tests.fixtures.kinds.rating import RatingWidget

ROOT = Path(__file__).resolve().parent.parent
RATING = ROOT / "tests" / "fixtures" / "kinds" / "rating.yaml"


def with_rating() -> KindRegistry:
    return builtin_kinds().with_kinds(RatingWidget)


def test_the_built_in_registry_does_not_know_the_rating_kind() -> None:
    bundle, diagnostics = load_bundle(RATING)
    assert bundle is None
    (problem,) = [d for d in diagnostics if d.severity.value == "error"]
    assert (problem.line, problem.code) == (12, "unknown-type")
    assert problem.message.startswith("unknown type 'rating'")
    assert problem.hint is not None
    assert "button" in problem.hint
    assert "rating" not in problem.hint


def test_registering_the_rating_kind_makes_the_scenario_check_clean() -> None:
    bundle, diagnostics = load_bundle(RATING, kinds=with_rating())
    assert bundle is not None, diagnostics
    assert diagnostics == []
    assert bundle.kinds is not None
    assert "rating" in bundle.kinds.widget_tags
    assert {(e.source, e.target, e.label) for e in edges(bundle.scenario)} >= {
        (("main", "ask"), ("main", "thanks"), "stars"),
    }


def test_a_rating_is_linked_like_any_widget(tmp_path: Path) -> None:
    broken = tmp_path / "rating.yaml"
    text = RATING.read_text(encoding="utf-8").replace("go: thanks}", "go: thank}")
    broken.write_text(text.replace("label: star,", "label: stra,"), encoding="utf-8")
    _, diagnostics = load_bundle(broken, root=ROOT, kinds=with_rating())
    found = {(d.line, d.code): d.message for d in diagnostics}
    assert "did you mean 'thanks'" in found[(12, "unknown-target")]
    assert "did you mean 'star'" in found[(12, "missing-label")]


def test_a_registry_refuses_a_kind_twice_and_a_kind_without_a_tag() -> None:
    with pytest.raises(ValueError, match="registered twice: button"):
        builtin_kinds().with_kinds(ButtonWidget)
    with pytest.raises(ValueError, match="needs a field type"):
        KindRegistry((RatingWidget.__base__,), ())  # type: ignore[arg-type]


def test_the_built_in_registry_is_a_value_not_a_singleton() -> None:
    assert builtin_kinds() == builtin_kinds()
    assert builtin_kinds() is not builtin_kinds()
    assert "rating" not in builtin_kinds().widget_tags  # with_kinds changed nothing in place


async def test_a_user_clicks_a_star_and_the_number_is_saved_and_routed_on() -> None:
    bundle, diagnostics = load_bundle(RATING, kinds=with_rating())
    assert bundle is not None, diagnostics
    async with Playground.open(bundle) as play:
        ann = play.user("Ann", language_code="en")
        await ann.send("/start")
        assert (ann.last.text or "").strip() == "How was your visit?"
        assert ann.buttons() == ["1★", "2★", "3★", "4★", "5★"]
        await ann.click("4★")
        assert (ann.last.text or "").strip() == "Thank you: 4 of 5."
        await ann.click("Rate again")
        await ann.click("2★")
        assert (ann.last.text or "").strip() == "Thank you: 2 of 5."
        assert play.rejected_calls() == []


def test_a_scenario_with_the_rating_compiles_twice() -> None:
    bundle, _ = load_bundle(RATING, kinds=with_rating())
    assert bundle is not None
    first = compile_bot(bundle.scenario, bundle.registry, bundle.store)
    second = compile_bot(bundle.scenario, bundle.registry, bundle.store)
    assert not set(map(id, first.dialogs)) & set(map(id, second.dialogs))


def test_every_kind_module_of_the_engine_is_in_the_built_in_registry() -> None:
    """A new module in engine/kinds/ is listed once, in engine/kinds/__init__.py."""
    kinds = builtin_kinds()
    registered = {*kinds.widgets, *kinds.inputs}
    defined: set[type] = set()
    for path in (ROOT / "engine" / "kinds").glob("*.py"):
        module = importlib.import_module(f"engine.kinds.{path.stem}")
        defined |= {value for value in vars(module).values()
                    if isinstance(value, type) and value.__module__ == module.__name__
                    and issubclass(value, WidgetBase | InputBase) and "type" in value.model_fields}
    assert defined == registered
    assert len(kinds.widget_tags) == 10
    assert len(kinds.input_tags) == 5
