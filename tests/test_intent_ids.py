"""Dialogs started in the same second get distinct intent ids (aiogram-dialog's own ids collide
1 time in 100 within a second, and a child dialog's context then overwrites its parent's)."""

from __future__ import annotations

from aiogram.fsm.state import State
from aiogram_dialog.api.entities.stack import Stack

from engine.runtime import intent_ids
from engine.testing import Playground


def push_many(count: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        stack = Stack()
        ids.extend(stack.push(State("w", "g"), None).id for _ in range(90))
    return ids[:count]


async def test_a_built_bot_starts_dialogs_with_ids_that_do_not_collide(tmp_path: object) -> None:
    async with Playground.open("scenarios/demo.yaml"):
        ids = push_many(5000)  # well within one second on any machine
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {intent_ids.ID_LENGTH}, "callback data keeps its size"


def test_ids_are_drawn_from_the_same_alphabet_as_aiogram_dialogs() -> None:
    ids = {intent_ids.new_intent_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(i.isascii() and i.isalnum() for i in ids)
