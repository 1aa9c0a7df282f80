"""Routes with a continuation (``{go: <dialog>, then: <target> | again}``), end to end on
tests/fixtures/relay: the step that sent the user to a sub-dialog goes on once that dialog
finishes (``go: done``), and does not when the user cancels it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.scenario.graph import edges
from engine.scenario.pipeline import load_bundle
from engine.testing import Actor, Playground
from tests.fixtures.relay_actions import gate

RELAY = Path(__file__).parent / "fixtures" / "relay" / "relay.yaml"


@pytest.fixture
async def play() -> AsyncIterator[Playground]:
    gate.LOGGED_IN.clear()
    gate.CALLS.clear()
    async with Playground.open(RELAY) as playground:
        yield playground
        assert playground.rejected_calls() == []


async def home(play: Playground) -> Actor:
    user = play.user("Ann")
    await user.send("/start")
    return user


async def test_then_again_runs_the_same_action_once_the_sub_dialog_finishes(play: Playground) -> None:
    user = await home(play)
    await user.click("Оплатить")
    assert user.last.text == "Пароль?"
    await user.send("guess")
    assert "Неверно" in user.texts()
    assert gate.CALLS == ["pay:5"], "a refused step inside the sub-dialog does not finish it"
    await user.send("secret")
    assert "Добро пожаловать" in user.texts()
    assert user.last.text == "Оплачено: 5", "the payment went on without a second click"
    assert gate.CALLS == ["pay:5", "pay:5"]


async def test_then_again_keeps_what_the_user_typed(play: Playground) -> None:
    user = await home(play)
    await user.click("Заметка")
    await user.send("купить молоко")
    assert user.last.text == "Пароль?"
    await user.send("secret")
    assert user.last.text == "Сохранено: купить молоко"


async def test_then_a_target_goes_there_once_the_sub_dialog_finishes(play: Playground) -> None:
    user = await home(play)
    await user.click("Профиль")
    await user.send("secret")
    assert user.last.text == "Профиль"
    assert gate.CALLS == ["profile"], "a target continuation does not run the action again"


async def test_a_cancelled_sub_dialog_returns_without_going_on(play: Playground) -> None:
    user = await home(play)
    await user.click("Оплатить")
    await user.click("Отмена")
    assert user.last.text == "Главная"
    assert gate.CALLS == ["pay:5"]
    await user.click("Оплатить")
    assert user.last.text == "Пароль?", "the next attempt asks again"



def test_the_flow_graph_shows_where_a_continuation_leads() -> None:
    bundle, diagnostics = load_bundle(RELAY)
    assert bundle is not None, diagnostics
    shown = {(e.source, e.target, e.label) for e in edges(bundle.scenario)}
    assert (("main", "home"), ("main", "profile"), "profile:need_login:then") in shown
