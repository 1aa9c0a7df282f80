"""Errors at run time are handled here, in one place (aiogram's error observer).

* a button from an old message, or a state that no longer exists: "this menu is outdated" and
  the menu, never an exception;
* an :class:`ActionError`: its label (or the generic error label), the user stays where they were;
* :class:`StorageUnavailable` (Redis, where dialog state lives, does not answer): "temporarily
  unavailable, try again in a minute" (``engine.unavailable``), callbacks answered so they stop
  spinning, nothing stored touched. aiogram reads the state before any handler runs, so this
  error is met in middleware; it is answered by an outer middleware of the error observer, ahead
  of aiogram-dialog's error middleware (which would read the dialog stack from the Redis that has
  just failed). :mod:`engine.runtime.storage` logs the outage once, not once per update;
* anything else: logged with its notes, and the generic error label.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import Dispatcher, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message, TelegramObject
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from engine.compile.filters import OnLoop
from engine.compile.values import StateMap
from engine.errors import ActionError, StorageUnavailable, TooFast
from engine.runtime.context import LOCALE_KEY, RUNTIME_KEY, Runtime
from engine.runtime.sender import sender_of

__all__ = ["setup_error_handlers", "stale_callback_router"]

log = logging.getLogger("engine.errors")


def _locale(data: dict[str, Any], runtime: Runtime) -> str:
    """The user's locale (an error met before the locale middleware ran works it out)."""
    return cast(str, data.get(LOCALE_KEY) or runtime.locale_for(data.get("event_from_user")))


def _addressed_to_bot(message: Message) -> bool:
    """In a group, only a command or a reply to the bot gets an answer; chatter never does."""
    text = message.text or message.caption or ""
    replied = message.reply_to_message
    return text.startswith("/") or (
        replied is not None and replied.from_user is not None and replied.from_user.is_bot)


async def _tell(event: ErrorEvent, data: dict[str, Any], text: str) -> None:
    update = event.update
    message = update.message
    sender = sender_of(data)
    if update.callback_query is not None:
        await sender.answer_callback(update.callback_query.id, text, show_alert=False)
    elif message is not None and message.chat.type == "private":
        await sender.answer(message, text)
    elif message is not None and _addressed_to_bot(message):
        await sender.reply(message, text)


async def on_stale(event: ErrorEvent, dialog_manager: DialogManager, **data: Any) -> None:
    runtime = cast(Runtime, data[RUNTIME_KEY])
    states = cast(StateMap, data["engine_states"])
    locale = _locale(data, runtime)
    log.warning("stale event (%s): %s", type(event.exception).__name__, event.exception)
    await _tell(event, data, runtime.label("engine.outdated", locale, {}))
    chat = data.get("event_chat")
    if chat is not None and chat.type == "private":
        await dialog_manager.start(states.menu, mode=StartMode.RESET_STACK,
                                   show_mode=ShowMode.SEND)


async def on_action_error(event: ErrorEvent, **data: Any) -> None:
    runtime = cast(Runtime, data[RUNTIME_KEY])
    error = cast(ActionError, event.exception)
    log.warning("action failed: %s", error)
    key = error.user_message if error.user_message and runtime.store.has_label(
        error.user_message) else "engine.error"
    await _tell(event, data, runtime.label(key, _locale(data, runtime), {}))


async def on_unexpected(event: ErrorEvent, **data: Any) -> None:
    runtime = cast(Runtime, data[RUNTIME_KEY])
    log.error("unexpected error while handling update %s", event.update.update_id,
              exc_info=event.exception)
    try:
        await _tell(event, data, runtime.label("engine.error", _locale(data, runtime), {}))
    except Exception:  # the user could not be told (blocked, network): already logged
        log.warning("could not tell the user about the error", exc_info=True)


async def on_storage_outage(handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                            event: TelegramObject, data: dict[str, Any]) -> Any:
    """Outer middleware of the error observer: a :class:`StorageUnavailable` or :class:`TooFast`
    is answered here and goes no further; every other error goes on to the handlers below."""
    if not isinstance(event, ErrorEvent) or not isinstance(event.exception,
                                                           StorageUnavailable | TooFast):
        return await handler(event, data)
    runtime = cast(Runtime, data[RUNTIME_KEY])
    label = event.exception.user_message or "engine.error"
    key = label if runtime.store.has_label(label) else "engine.error"
    log.debug("update %s not handled: %s", event.update.update_id, event.exception)
    try:
        await _tell(event, data, runtime.label(key, _locale(data, runtime), {}))
    except TelegramAPIError as exc:  # blocked, or the callback was already answered
        log.info("could not tell the user (%s): %s", type(event.exception).__name__, exc)
    return None


def setup_error_handlers(dp: Dispatcher) -> None:
    dp.errors.outer_middleware(on_storage_outage)
    dp.errors.register(on_stale, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState))
    dp.errors.register(on_action_error, ExceptionTypeFilter(ActionError))
    dp.errors.register(on_unexpected)


def stale_callback_router() -> Router:
    """Callbacks nobody handled (a button of a message whose dialog is gone): say so."""
    router = Router(name="engine.stale")

    @router.callback_query()
    async def unhandled(callback: CallbackQuery, **data: Any) -> None:
        runtime = cast(Runtime, data[RUNTIME_KEY])
        await sender_of(data).answer_callback(
            callback.id, runtime.label("engine.outdated", _locale(data, runtime), {}))

    @router.message(OnLoop(F.chat.type != "private"))
    async def ignore_group_chatter(message: Message) -> None:
        return None

    return router
