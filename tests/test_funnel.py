"""Per-window funnel counts (engine/runtime/funnel.py): how many users entered each window and
where they went from it, on the playground's ``funnel`` panel (tests/fixtures/steps)."""

from __future__ import annotations

from pathlib import Path

from engine.runtime.funnel import Funnel
from engine.testing import Playground

STEPS = Path(__file__).parent / "fixtures" / "steps" / "steps.yaml"


def test_a_window_shown_again_to_the_same_user_is_not_entered_again() -> None:
    funnel = Funnel("shop")
    funnel.shown(1, 1, "main.home")
    funnel.shown(1, 1, "main.home")
    funnel.shown(1, 1, "cart.view")
    funnel.shown(1, 1, "main.home")
    assert funnel.entered == {"main.home": 2, "cart.view": 1}
    assert funnel.moves == {("main.home", "cart.view"): 1, ("cart.view", "main.home"): 1}


def test_who_stopped_where_is_entered_minus_moved_on() -> None:
    funnel = Funnel("shop")
    for user in (1, 2, 3):
        funnel.shown(user, user, "checkout.where")
    funnel.shown(1, 1, "checkout.note")
    funnel.shown(2, 2, "checkout.note")
    funnel.shown(2, 2, "checkout.review")
    assert funnel.rows() == [
        {"window": "checkout.where", "entered": 3, "moved_on": 2, "stopped_here": 1,
         "next": "checkout.note (2)"},
        {"window": "checkout.note", "entered": 2, "moved_on": 1, "stopped_here": 1,
         "next": "checkout.review (1)"},
        {"window": "checkout.review", "entered": 1, "moved_on": 0, "stopped_here": 1, "next": ""},
    ]


def test_a_state_name_becomes_dialog_dot_window() -> None:
    assert Funnel("orders").window_of("orders.checkout:where") == "checkout.where"


def test_listeners_hear_each_entry_with_where_the_user_came_from() -> None:
    heard: list[tuple[str, str | None]] = []
    funnel = Funnel()
    funnel.listen(lambda window, came_from: heard.append((window, came_from)))
    funnel.shown(5, 5, "main.home")
    funnel.shown(5, 5, "main.home")
    funnel.shown(5, 5, "wizard.kind")
    assert heard == [("main.home", None), ("wizard.kind", "main.home")]


async def test_the_playground_panel_counts_the_windows_users_were_shown() -> None:
    async with Playground.open(STEPS, sandbox=True) as play:
        assert play.sandbox is not None
        ann, bob = play.user("Ann"), play.user("Bob")
        for user in (ann, bob):
            await user.send("/start")
            await user.click("Начать")
        await ann.send("pickup")  # the name step is passed over: never shown, never entered
        panel = play.sandbox.panels["funnel"]
        assert panel.columns[:4] == ("window", "entered", "moved_on", "stopped_here")
        rows = {row["window"]: row for row in await panel.rows()}
        assert set(rows) == {"main.home", "wizard.kind", "wizard.summary"}
        assert rows["main.home"] == {"window": "main.home", "entered": 2, "moved_on": 2,
                                     "stopped_here": 0, "next": "wizard.kind (2)"}
        assert (rows["wizard.kind"]["stopped_here"], rows["wizard.kind"]["next"]) == \
            (1, "wizard.summary (1)")
        assert rows["wizard.summary"]["stopped_here"] == 1
