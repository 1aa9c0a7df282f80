"""A window's ``skip: {when, go}``: a route that leads to it goes on to ``go`` while the condition
holds (tests/fixtures/steps: a step a setting switches off, one an earlier answer makes
unnecessary); ``back`` from the next window does not return to the skipped one."""

from __future__ import annotations

from pathlib import Path

from engine.scenario.graph import edges
from engine.scenario.pipeline import load_bundle
from engine.testing import Actor, Playground

STEPS = Path(__file__).parent / "fixtures" / "steps" / "steps.yaml"


async def answer_kind(play: Playground, kind: str) -> Actor:
    user = play.user("Ann")
    await user.send("/start")
    await user.click("Начать")
    assert user.last.text == "Доставка или самовывоз?"
    await user.send(kind)
    return user


async def test_a_window_is_shown_while_its_skip_condition_does_not_hold() -> None:
    async with Playground.open(STEPS) as play:
        user = await answer_kind(play, "courier")
        assert user.last.text == "Ваше имя?"
        await user.send("Ann")
        assert user.last.text == "Итог: courier, Ann"
        assert play.rejected_calls() == []


async def test_an_earlier_answer_passes_the_route_on_to_skip_go() -> None:
    async with Playground.open(STEPS) as play:
        user = await answer_kind(play, "pickup")
        assert user.last.text == "Итог: pickup"
        assert "Ваше имя?" not in user.texts()


async def test_a_setting_switches_a_step_off() -> None:
    async with Playground.open(STEPS, environ={"ASK_NAME": "false"}) as play:
        user = await answer_kind(play, "courier")
        assert user.last.text == "Итог: courier"


async def test_back_from_the_next_window_passes_the_skipped_one_by() -> None:
    async with Playground.open(STEPS) as play:
        user = await answer_kind(play, "pickup")
        await user.click("Назад")
        assert user.last.text == "Доставка или самовывоз?"


def test_the_skip_target_is_a_way_forward_in_the_flow_graph() -> None:
    bundle, _ = load_bundle(STEPS)
    assert bundle is not None
    assert any(e.source == ("wizard", "name") and e.target == ("wizard", "summary")
               and e.label == "skip" for e in edges(bundle.scenario))


def test_a_misspelt_skip_target_and_an_unknown_variable_are_positioned(tmp_path: Path) -> None:
    text = STEPS.read_text().replace("go: summary}", "go: sumary}").replace(
        "kind == 'pickup'", "knd == 'pickup'").replace(
        "templates: tests/", f"templates: {STEPS.parent.parent.parent}/")
    broken = tmp_path / "steps.yaml"
    broken.write_text(text)
    bundle, diagnostics = load_bundle(broken)
    assert bundle is None
    found = [(d.line, d.code, d.message) for d in diagnostics if d.severity == "error"]
    assert (23, "unknown-variable", "skip condition uses 'knd', which neither the window's data "
            "nor its actions provide (did you mean 'kind'?)") in found
    assert (23, "unknown-target", "unknown target 'sumary' (did you mean 'summary'?)") in found
