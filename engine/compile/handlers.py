"""Compiling event handlers outside dialogs: commands, text patterns, side-message buttons,
replies, fall-backs -> two aiogram routers.

Each ``handlers:`` entry becomes one aiogram handler with its filters (trigger, chat type);
what it does when an event passes them (decode the arguments, check a document, run the action
and route its outcome) is the runtime's, reached through
:class:`~engine.compile.executors.HandlerExecutorProtocol` in the dispatcher's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from engine.compile.executors import handlers_of
from engine.compile.values import CompiledCall, CompiledHandler, CompiledRoute, StateMap
from engine.handler_args import CallbackCodec, declared
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


def _callback_name(spec: s.HandlerSpec) -> Any:
    """Callback data of this handler's buttons: ``name`` or ``name:arg:...`` (the arguments are
    decoded, or refused, by the runtime with the same codec)."""
    codec = CallbackCodec(spec.callback or "", declared(spec.args))
    return F.data.func(codec.matches)


def _reply_to(name: str) -> Any:
    """A reply to the side message ``name`` (the runtime looks it up in the bot's index)."""

    async def is_reply_to(message: Message, **data: Any) -> bool:
        return await handlers_of(data).is_reply_to(message, name, data)

    return is_reply_to


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
        if spec.callback is not None:
            before.callback_query.register(
                entry.on_callback, _callback_name(spec), _callback_chat_filter(spec.chat),
            )
            continue
        filters: list[Any] = [_chat_filter(spec.chat)]
        if spec.fallback:
            after.message.register(entry.on_message, *filters)
            continue
        if spec.command is not None:
            filters.append(Command(spec.command))
        elif spec.text is not None:
            filters.append(F.text.regexp(spec.text))
        elif spec.reply_to is not None:
            filters.append(_reply_to(spec.reply_to))
        before.message.register(entry.on_message, *filters)
    return before, after
