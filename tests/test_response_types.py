"""The bot keeps aiogram's parametrised response models (``Response[Message]``, ...) alive, so a
garbage collection never makes the next Bot API answer rebuild its model (milliseconds each)."""

from __future__ import annotations

import gc
from pathlib import Path

from aiogram.methods import AnswerCallbackQuery, EditMessageText, Response, SendMessage

from engine.runtime.response_types import KeepResponseTypes
from engine.testing import Playground

DEMO = Path(__file__).resolve().parent.parent / "scenarios" / "demo.yaml"


async def test_the_response_model_of_each_method_used_outlives_garbage_collections() -> None:
    async with Playground.open(DEMO) as play:
        alice = play.user("Alice")
        await alice.send("/start")
        await alice.click("☕ Напитки")
        keeper = next(m for m in play.app.bot.session.middleware if isinstance(m, KeepResponseTypes))
        assert {SendMessage, EditMessageText, AnswerCallbackQuery} <= set(keeper.kept)
        before = {kind: id(model) for kind, model in keeper.kept.items()}
        gc.collect()
        gc.collect()
        for kind in before:
            assert Response[kind.__returning__] is keeper.kept[kind]  # type: ignore[name-defined]
        assert {kind: id(model) for kind, model in keeper.kept.items()} == before
