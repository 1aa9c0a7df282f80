"""Duplicate Telegram updates (a webhook retried, two pollers) are handled once; aiogram-dialog's
own dialog updates, which all carry update_id 0, are not duplicates of one another."""

from __future__ import annotations

from pathlib import Path

from aiogram.types import Update

from engine.testing import Playground

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"


async def test_the_same_update_delivered_twice_is_handled_once() -> None:
    async with Playground.open(DEMO) as play:
        alice = play.user("Alice")
        update = play.emulator.send_text(play.bot, alice.chat, alice.account, "/start")
        for _ in range(2):
            parsed = Update.model_validate(dict(update), context={"bot": play.app.bot})
            await play.app.dispatcher.feed_update(play.app.bot, parsed)
        assert len(alice.messages) == 1


async def test_windows_opened_by_dialog_updates_are_shown_to_every_user() -> None:
    async with Playground.open(DEMO) as play:
        people = [play.user(name) for name in ("Alice", "Bob", "Carol")]
        for person in people:
            await play.start_at(person, "main", "drinks")
        assert [len(person.messages) for person in people] == [1, 1, 1]
