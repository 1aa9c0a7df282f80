"""A burst of updates from one user (a flood, a stuck client) is throttled: past a burst the
updates are dropped before any dialog or action runs, the user is told once (and every pressed
button is answered, so no spinner turns), and other users are answered as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.runtime.throttle import Throttle
from engine.testing import Playground

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"
# a burst of 5, then practically nothing: what passes does not depend on the machine's speed
SLOW = {"THROTTLE_RATE": "0.001", "THROTTLE_BURST": "5"}
TOO_FAST = "Too many messages in a row — please wait a few seconds."


async def test_a_flood_is_cut_after_the_burst_with_one_notice_and_others_are_answered() -> None:
    async with Playground.open(DEMO, environ=SLOW) as play:
        mallory, alice = play.user("Mallory", language_code="en"), play.user("Alice", language_code="en")
        for _ in range(40):
            await mallory.send("/start")
        await alice.send("/start")
        sent = [c for c in play.calls("sendMessage") if c.ok]
        to_mallory = [c.params["text"] for c in sent if c.params["chat_id"] == mallory.chat.id]
        assert to_mallory.count(TOO_FAST) == 1
        assert len(to_mallory) == 5 + 1, "the burst answered, then one notice, then nothing"
        assert alice.buttons(), "another user is answered at once"
        assert play.rejected_calls() == []


async def test_every_button_pressed_during_a_flood_is_answered_with_the_notice() -> None:
    async with Playground.open(DEMO, environ=SLOW) as play:
        mallory = play.user("Mallory", language_code="en")
        await mallory.send("/start")
        menu = mallory.last
        data = next(b.callback_data for row in menu.buttons for b in row if b.callback_data)
        for _ in range(8):  # a stuck client pressing the same button again and again
            await play.deliver(play.emulator.forge_callback(play.bot, mallory.chat, mallory.account,
                                                            menu.message_id, data))
        answers = [c.params.get("text") for c in play.calls("answerCallbackQuery") if c.ok]
        assert len(answers) == 8, "every press answered: no spinner left turning"
        assert answers[-4:] == [TOO_FAST] * 4  # 1 /start + 4 presses fit the burst of 5


async def test_throttling_is_configured_by_the_environment() -> None:
    assert Throttle.from_environ({"THROTTLE_RATE": "0"}) is None
    default = Throttle.from_environ({})
    assert default is not None
    assert (default.rate, default.burst) == (3.0, 20.0)
    for bad in ({"THROTTLE_RATE": "fast"}, {"THROTTLE_BURST": "0"}, {"THROTTLE_RATE": "-1"}):
        with pytest.raises(ConfigError, match="THROTTLE"):
            Throttle.from_environ(bad)


def test_a_person_who_slows_down_gets_through_again() -> None:
    now = [0.0]
    throttle = Throttle(rate=2, burst=3, clock=lambda: now[0])
    assert [throttle.allow(7) for _ in range(4)] == [True, True, True, False]
    assert throttle.allow(8), "another person has a bucket of their own"
    now[0] += 0.5  # one update's worth at 2 a second
    assert throttle.allow(7)
    assert not throttle.allow(7)
