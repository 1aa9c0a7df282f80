"""Telegram answering 429 (flood limit) or 5xx to the bot's own screens: the update is still
handled (no exception escapes to the dispatcher), the button press is answered, the user is
told when a first message could not be sent, and the conversation stays usable: the screen asked
for is on view after at most one more press (the sender may retry by itself; then no press is
needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.testing import Actor, Playground

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"
FAULTS = [(429, "Too Many Requests: retry after 1", 1), (500, "Internal Server Error", None),
          (502, "Bad Gateway", None)]


def shows_drinks(user: Actor) -> bool:
    return "Напитки" in (user.last.text or "") and "Latte — 19\u202f000" in user.buttons()


@pytest.mark.parametrize(("code", "description", "retry_after"), FAULTS)
async def test_a_failed_edit_leaves_the_conversation_usable(code: int, description: str,
                                                            retry_after: int | None) -> None:
    async with Playground.open(DEMO) as play:
        alice = play.user("Alice")
        await alice.send("/start")
        play.emulator.fail_next("editMessageText", code, description, retry_after=retry_after)
        await alice.click("☕ Напитки")
        assert play.emulator.callback_answers, "the press is answered all the same"
        if not shows_drinks(alice):
            await alice.click("☕ Напитки")
        assert shows_drinks(alice)
        await alice.click("Latte — 19\u202f000")
        assert "Latte" in (alice.last.text or "")


@pytest.mark.parametrize(("code", "description", "retry_after"), FAULTS)
async def test_a_failed_first_message_is_answered_on_the_next_start(code: int, description: str,
                                                                    retry_after: int | None) -> None:
    async with Playground.open(DEMO) as play:
        bob = play.user("Bob")
        play.emulator.fail_next("sendMessage", code, description, retry_after=retry_after)
        await bob.send("/start")
        if "☕ Напитки" not in bob.buttons():
            assert "Что-то пошло не так" in (bob.last.text or ""), "a clear message instead"
            await bob.send("/start")
        assert "☕ Напитки" in bob.buttons()
        others = play.user("Carol")
        await others.send("/start")
        assert "☕ Напитки" in others.buttons(), "other chats are not affected"
