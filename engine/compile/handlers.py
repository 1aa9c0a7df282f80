"""Compiling event handlers outside dialogs (commands, text patterns, side-message buttons,
replies, fall-backs...) -> two aiogram routers.

Each ``handlers:`` entry becomes one aiogram handler with its filters: the chat type, and its
trigger kind's (:class:`~engine.scenario.kinds.HandlerKind`, ``engine/kinds/handlers/``);
what it does when an event passes them (decode the arguments, check a document, run the action
and route its outcome) is the runtime's, reached through
:class:`~engine.compile.executors.HandlerExecutorProtocol` in the dispatcher's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from engine.compile.executors import handlers_of
from engine.compile.filters import on_loop
from engine.compile.values import CompiledCall, CompiledHandler, CompiledRoute, StateMap
from engine.scenario import schema as s

__all__ = ["build_handlers"]


def _chat_filter(kind: str) -> Any:
    if kind == "private":
        return F.chat.type == "private"
    if kind == "group":
        return F.chat.type.in_({"group", "supergroup"})
    return F.chat.id.is_not(None)


def _callback_chat_filter(kind: str) -> Any:
    if kind == "private":
        return F.message.chat.type == "private"
    if kind == "group":
        return F.message.chat.type.in_({"group", "supergroup"})
    return F.id.is_not(None)


class _Entry:
    """The aiogram handler of one compiled handler: hands the event to the runtime."""

    def __init__(self, handler: CompiledHandler) -> None:
        self.handler = handler

    async def on_message(self, message: Message, dialog_manager: DialogManager,
                         command: CommandObject | None = None, **data: Any) -> None:
        await handlers_of(data).on_message(self.handler, message, dialog_manager, command,
                                           data)

    async def on_callback(self, callback: CallbackQuery, dialog_manager: DialogManager,
                          **data: Any) -> None:
        await handlers_of(data).on_callback(self.handler, callback, dialog_manager, data)


def build_handlers(scenario: s.Scenario, calls: Mapping[int, CompiledCall],
                   routes: Mapping[int, CompiledRoute], states: StateMap,
                   where: Mapping[int, str] | None = None) -> tuple[Router, Router]:
    """Two routers: one included before the dialogs (commands, callbacks, replies, patterns),
    and one after them (fall-backs: messages neither a handler nor a dialog took).
    ``where``: each handler's ``file:line:col``, by its index."""
    before = Router(name=f"{scenario.scenario}.handlers")
    after = Router(name=f"{scenario.scenario}.fallbacks")
    for position, spec in enumerate(scenario.handlers):
        entry = _Entry(CompiledHandler(spec, calls.get(position), routes.get(position), states,
                                       (where or {}).get(position, "")))
        kind = spec.kind  # the trigger's filters: engine/kinds/handlers/
        if kind.event == "callback_query":
            observer = (after if kind.late else before).callback_query
            observer.register(entry.on_callback,
                              *on_loop([*kind.filters(spec), _callback_chat_filter(spec.chat)]))
            continue
        observer = (after if kind.late else before).message
        observer.register(entry.on_message,
                          *on_loop([_chat_filter(spec.chat), *kind.filters(spec)]))
    return before, after
