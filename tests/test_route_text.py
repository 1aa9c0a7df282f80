"""A window whose text varies by outcome: a route's ``text:`` names the template the window it
leads to shows instead of its own, and the window's ``view`` variable names it. The VIN desk's
customer window is one window with five texts (scenarios/vin_report.yaml, routes: submitted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.scenario.pipeline import load_bundle

from .tickets.desk_kit import SCENARIO, VIN, Desk, open_desk

ROOT = SCENARIO.parents[1]


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SCENARIO.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "vin_report.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_shipped_desk_has_one_customer_window_for_every_outcome_of_a_vin() -> None:
    bundle, diagnostics = load_bundle(SCENARIO)
    assert bundle is not None, diagnostics
    assert list(bundle.scenario.dialogs["main"].windows) == ["home", "tickets"]
    texts = {o: r.text for o, r in bundle.scenario.routes["submitted"].items()}
    assert texts == {"ok": "created", "invalid": "invalid", "duplicate": "duplicate",
                     "rate_limited": "limited", "command": None}


def test_a_route_text_is_a_template_with_did_you_mean(tmp_path: Path) -> None:
    path = variant(tmp_path, "text: duplicate}", "text: duplicat}")
    bundle, diagnostics = load_bundle(path, root=ROOT)
    assert bundle is None
    (problem,) = [d for d in diagnostics if d.code == "missing-template"]
    assert "template 'duplicat' not found" in problem.message
    assert "did you mean 'duplicate'" in problem.message
    line = path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert "text: duplicat}" in line


def test_a_route_text_needs_a_route_to_a_window(tmp_path: Path) -> None:
    path = variant(tmp_path, "    command: main.home\n", "    command: {go: cancel, text: home}\n")
    _, diagnostics = load_bundle(path, root=ROOT)
    (problem,) = [d for d in diagnostics if d.code == "route-text"]
    assert "'cancel' leads to no window" in problem.message


def shown(desk: Desk) -> str:
    return desk.alice.last.content or ""


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened
        assert opened.play.rejected_calls() == []


async def test_each_outcome_shows_its_text_in_the_one_window(desk: Desk) -> None:
    await desk.alice.send("/start")
    assert "Пришлите VIN" in shown(desk)
    await desk.alice.send("abc")
    assert "Это не похоже на VIN" in shown(desk)
    assert desk.alice.buttons() == ["❓ Как это работает"]  # when: "view == 'invalid'"
    await desk.alice.send(VIN)
    assert "Заявка №1 принята" in shown(desk)
    assert desk.alice.buttons() == ["📋 Мои заявки"]
    await desk.alice.send(VIN)
    assert "уже есть заявка" in shown(desk)


async def test_leaving_by_a_route_without_text_shows_the_window_s_own_text(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send("abc")
    await desk.alice.click("❓ Как это работает")  # go: home, from home
    assert "Пришлите VIN" in shown(desk)
    assert "Это не похоже на VIN" not in shown(desk)
    assert desk.alice.buttons() == ["📋 Мои заявки"]


async def test_a_handler_route_gives_the_window_it_starts_its_text(desk: Desk) -> None:
    await desk.play.forget_state()  # no window waits for the VIN: the fallback handler takes it
    await desk.alice.send(VIN)
    assert "Заявка №1 принята" in shown(desk)
    assert desk.alice.buttons() == ["📋 Мои заявки"]
