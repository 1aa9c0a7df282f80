"""Event handlers outside dialogs, at run time: commands, text patterns, side-message
buttons, replies.

``engine/compile/handlers.py`` turns each ``handlers:`` entry into an aiogram handler with its
filters (trigger, chat type); an event that passes them comes here (:class:`HandlerExecutor`,
in the dispatcher's data): its arguments are decoded and its document checked, then it sends a
template, starts a window, or runs an action and routes its outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode

from engine.actions import EventInfo
from engine.compile.values import CompiledCall, CompiledHandler, CompiledRoute, StateMap
from engine.errors import ArgumentError
from engine.handler_args import CallbackCodec, declared, parse_command, split
from engine.runtime.arguments import callback_codecs, decode_args
from engine.runtime.context import LOCALE_KEY, RUNTIME_KEY, Runtime, chat_info, user_info
from engine.runtime.executor import execute, follow
from engine.runtime.flow import jsonable
from engine.runtime.notifier import SIDE_INDEX_KEY, SideMessageIndex
from engine.runtime.sender import sender_of
from engine.scenario import schema as s
from engine.widgets.inputs import event_from_message
from engine.widgets.text import VIEW_KEY

__all__ = ["HandlerExecutor"]


def _document_ok(spec: s.DocumentFilter | None, message: Message) -> str | None:
    """None when the document passes, else the refusal reason."""
    if spec is None:
        return None
    document = message.document
    if document is None:
        return "no_document"
    name = (document.file_name or "").lower()
    if spec.mime_types and (document.mime_type or "") not in spec.mime_types:
        return "wrong_type"
    if spec.extensions and not name.endswith(tuple(e.lower() for e in spec.extensions)):
        return "wrong_type"
    if document.file_size is not None and document.file_size > spec.max_size:
        return "too_large"
    return None


class _Handler:
    def __init__(self, spec: s.HandlerSpec, call: CompiledCall | None,
                 go: CompiledRoute | None, states: StateMap,
                 codec: CallbackCodec | None = None, where: str = "") -> None:
        self.spec = spec
        self.call = call
        self.go = go
        self.states = states
        #: a command's legacy regex over its arguments; else its declared, typed arguments
        self.args = re.compile(spec.args) if isinstance(spec.args, str) else None
        self.types = declared(spec.args)
        #: the callback data codec (callback handlers only)
        self.codec = codec or CallbackCodec(spec.callback_name or "", self.types)
        #: ``file:line:col`` of the handler, for the log
        self.where = where or "(no position)"

    def _match_args(self, raw: str) -> dict[str, Any] | None:
        """A command's arguments by name; None when its text does not fit them."""
        if self.args is None:
            if not isinstance(self.spec.args, dict):
                return {}  # none declared: whatever follows the command is ignored
            try:
                return parse_command(raw, self.types)
            except ArgumentError:
                return None
        match = self.args.fullmatch(raw.strip())
        return match.groupdict() if match else None

    async def on_message(self, message: Message, dialog_manager: DialogManager,
                         command: CommandObject | None = None, **data: Any) -> None:
        runtime = cast(Runtime, data[RUNTIME_KEY])
        locale = cast(str, data.get(LOCALE_KEY, runtime.scenario.default_locale))
        raw_args = command.args or "" if command else (message.text or message.caption or "")
        words = self.spec.kind.words  # a command: its arguments are the message's words
        groups = self._match_args(raw_args) if words else {}
        scope = runtime.base_scope(user_info(message.from_user), chat_info(message.chat), locale)
        if groups is None:
            await self._refuse(message, data, runtime, locale, scope, "bad_arguments")
            return
        if not words and self.args is None:  # a regex trigger's named groups
            groups = self.spec.kind.groups(self.spec, message)
        refusal = _document_ok(self.spec.document, message)
        if refusal:
            await self._refuse(message, data, runtime, locale, scope, refusal)
            return
        scope.update(groups)
        scope.update({"text": message.text or message.caption, "args": raw_args})
        try:
            args = self._decode(scope)
        except ArgumentError as exc:
            runtime.log.info("%s: a message refused (bad_value): %s", self.where, _named(exc))
            await self._refuse(message, data, runtime, locale, scope, "bad_value")
            return
        await self.execute(runtime, locale, scope, args, event_from_message(message),
                           dialog_manager, message.chat.id, None)

    async def on_callback(self, callback: CallbackQuery, dialog_manager: DialogManager,
                          **data: Any) -> None:
        runtime = cast(Runtime, data[RUNTIME_KEY])
        locale = cast(str, data.get(LOCALE_KEY, runtime.scenario.default_locale))
        message = callback.message
        chat = message.chat if message is not None else None
        scope = runtime.base_scope(user_info(callback.from_user), chat_info(chat), locale)
        try:
            scope.update(self.codec.decode(callback.data or ""))
        except ArgumentError as exc:  # no button sends that: forged data
            runtime.log.info("%s: callback %r refused (%s): %s", self.where, self.spec.callback_name,
                             exc.reason, exc)
            await self._refuse(callback, data, runtime, locale, scope, exc.reason)
            return
        try:
            args = self._decode(scope)
        except ArgumentError as exc:
            runtime.log.info("%s: callback %r refused (bad_value): %s", self.where,
                             self.spec.callback_name, _named(exc))
            await self._refuse(callback, data, runtime, locale, scope, "bad_value")
            return
        event = EventInfo(message_id=message.message_id if message else None,
                          callback_args=tuple(split(callback.data or "")[1:]))
        chat_id = chat.id if chat else callback.from_user.id
        await self.execute(runtime, locale, scope, args, event, dialog_manager, chat_id, callback)

    def _decode(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        """The action's arguments, each decoded for its parameter (ArgumentError if one is not)."""
        if self.call is None:
            return {}
        values = {name: value(scope) for name, value in self.call.args.items()}
        return decode_args(values, self.call.spec.annotations, self.call.adapters)

    async def _refuse(self, event: Message | CallbackQuery, data: Mapping[str, Any],
                      runtime: Runtime, locale: str, scope: Mapping[str, Any],
                      reason: str) -> None:
        """Answer a refused event with the handler's label for ``reason`` (a reply to a
        message, a toast for a button), or silently when the scenario has none."""
        key = self.spec.refuse.get(reason, f"handler.{reason}")
        text = runtime.label(key, locale, {**scope, "reason": reason}) \
            if runtime.store.has_label(key) else None
        sender = sender_of(data)
        if isinstance(event, CallbackQuery):
            await sender.answer_callback(event.id, text)
        elif text is not None:
            await sender.reply(event, text)

    async def execute(self, runtime: Runtime, locale: str, scope: dict[str, Any],
                      args: Mapping[str, Any], event: EventInfo, manager: DialogManager,
                      chat_id: int, callback: CallbackQuery | None) -> None:
        surface = _HandlerSurface(runtime, locale, scope, manager, chat_id, callback, self.states)
        if self.spec.reply:
            await surface.show_reply(surface.render(self.spec.reply))
        if self.call is None:
            await follow(self.go, surface)
            return
        md = manager.middleware_data
        ctx = runtime.action_context(user_info(md.get("event_from_user")),
                                     chat_info(md.get("event_chat"), chat_id), locale, {}, event)
        await execute(self.call, args, ctx, surface)


class _HandlerSurface:
    """A route followed by a handler (:class:`engine.runtime.executor.Surface`): its button is
    answered (with the notice, or silently), a message gets the notice as a reply, and the target
    window starts afresh with the action's data as its start data."""

    def __init__(self, runtime: Runtime, locale: str, scope: dict[str, Any],
                 manager: DialogManager, chat_id: int, callback: CallbackQuery | None,
                 states: StateMap) -> None:
        self.runtime = runtime
        self.locale = locale
        self.scope = scope
        self.manager = manager
        self.chat_id = chat_id
        self.callback = callback
        self.states = states
        self.start_data: dict[str, Any] = {}

    def absorb(self, data: Mapping[str, Any]) -> None:
        self.start_data = jsonable(dict(data))
        self.scope.update(data)

    def label(self, key: str) -> str:
        return self.runtime.label(key, self.locale, self.scope)

    def render(self, template: str) -> str:
        return self.runtime.render(template, self.locale, self.scope)

    async def notice(self, text: str | None) -> None:
        sender = sender_of(self.manager.middleware_data)
        if self.callback is not None:
            await sender.answer_callback(self.callback.id, text)
        elif text is not None and isinstance(self.manager.event, Message):
            await sender.reply(self.manager.event, text)

    async def show_reply(self, text: str) -> None:
        await sender_of(self.manager.middleware_data).send_text(self.chat_id, text)

    async def go(self, route: CompiledRoute) -> None:
        target = route.target
        data = self.start_data
        if route.text and target.window:  # the route's text: for the window it starts
            data = {**(data or {}), VIEW_KEY: {"window": target.window, "text": route.text}}
        if target.kind == "menu":
            await self.manager.start(self.states.menu, data=data, mode=StartMode.RESET_STACK)
        elif target.kind == "window" and target.dialog and target.window:
            await self.manager.start(self.states[(target.dialog, target.window)],
                                     data=data, mode=StartMode.RESET_STACK)


def _named(error: ArgumentError) -> str:
    """Which argument was refused, without its value (logs never carry what users typed)."""
    return str(error).partition(":")[0]


class HandlerExecutor:
    """Implements :class:`engine.compile.executors.HandlerExecutorProtocol` for one bot."""

    def __init__(self, scenario: s.Scenario) -> None:
        #: each callback's codec (the arguments its handler declares)
        self.codecs = callback_codecs(scenario)

    def _handler(self, compiled: CompiledHandler) -> _Handler:
        codec = self.codecs.get(compiled.spec.callback_name or "")
        return _Handler(compiled.spec, compiled.call, compiled.go, compiled.states, codec,
                        compiled.where)

    async def on_message(self, handler: CompiledHandler, message: Message,
                         manager: DialogManager, command: CommandObject | None,
                         data: Mapping[str, Any]) -> None:
        await self._handler(handler).on_message(message, manager, command, **data)

    async def on_callback(self, handler: CompiledHandler, callback: CallbackQuery,
                          manager: DialogManager, data: Mapping[str, Any]) -> None:
        await self._handler(handler).on_callback(callback, manager, **data)

    async def is_reply_to(self, message: Message, name: str, data: Mapping[str, Any]) -> bool:
        index = cast(SideMessageIndex, data[SIDE_INDEX_KEY])
        return await index.is_reply_to(message, name)
