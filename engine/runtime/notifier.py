"""Side messages: what the bot sends to *other* chats (a ticket card to the managers' group).

Rendered from the scenario's ``messages:`` (a template + buttons whose callback data the one
codec writes: :class:`~engine.handler_args.CallbackCodec`), sent through the bot's
:class:`~engine.runtime.sender.Sender`, and remembered by (chat, message id) so that a
``reply_to:`` handler can recognise replies to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from engine.actions import Document
from engine.errors import FlowError
from engine.runtime.arguments import callback_codecs
from engine.runtime.context import Runtime
from engine.runtime.sender import Sender
from engine.runtime.storage import KeyValueStore
from engine.scenario.expressions import compile_condition, compile_value

__all__ = ["SIDE_INDEX_KEY", "Notifier", "SideMessageIndex"]

#: where the dispatcher's data holds the bot's :class:`SideMessageIndex`
SIDE_INDEX_KEY = "engine_side_index"

INDEX_TTL = 90 * 24 * 3600
LOCALE_TTL = 180 * 24 * 3600
_SPOKEN_MAX = 50_000  # private chats whose locale this process remembers having stored


class SideMessageIndex:
    """(chat id, message id) -> side-message name, in the key-value store."""

    def __init__(self, kv: KeyValueStore, bot_key: str) -> None:
        self.kv = kv
        self.prefix = f"engine:side:{bot_key}"
        self.bot_key = bot_key

    def _key(self, chat_id: int, message_id: int) -> str:
        return f"{self.prefix}:{chat_id}:{message_id}"

    async def remember(self, chat_id: int, message_id: int, name: str) -> None:
        await self.kv.set(self._key(chat_id, message_id), name, INDEX_TTL)

    async def name_of(self, chat_id: int, message_id: int) -> str | None:
        return await self.kv.get(self._key(chat_id, message_id))

    async def is_reply_to(self, message: Message, name: str) -> bool:
        """Whether ``message`` replies to a side message named ``name`` this bot sent."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        return await self.name_of(message.chat.id, replied.message_id) == name


class Notifier:
    """Implements :class:`engine.actions.NotifierProtocol` for one bot."""

    def __init__(self, sender: Sender, runtime: Runtime, index: SideMessageIndex) -> None:
        self.sender = sender
        self.runtime = runtime
        self.index = index
        self._conditions: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        #: each callback's codec: its buttons' data written as its handler decodes it
        self._codecs = callback_codecs(runtime.scenario)
        self._spoken: dict[int, str] = {}

    def _locale_key(self, chat_id: int) -> str:
        return f"engine:locale:{self.index.bot_key}:{chat_id}"

    async def remember_locale(self, chat_id: int, locale: str) -> None:
        """The locale a private chat's user was last answered in (stored when it changes), so a
        notice sent later without a locale (an order's status) speaks their language."""
        if self._spoken.get(chat_id) == locale:
            return
        await self.index.kv.set(self._locale_key(chat_id), locale, LOCALE_TTL)
        if len(self._spoken) >= _SPOKEN_MAX:
            self._spoken.clear()
        self._spoken[chat_id] = locale

    async def locale_of(self, chat_id: int) -> str:
        """The chat's remembered locale, else the scenario's default."""
        known = await self.index.kv.get(self._locale_key(chat_id))
        return known if known in self.runtime.scenario.locales else self._locale(None)

    def _locale(self, locale: str | None) -> str:
        return locale or self.runtime.scenario.default_locale

    def _markup(self, name: str, scope: Mapping[str, Any], locale: str) -> InlineKeyboardMarkup | None:
        spec = self.runtime.scenario.messages[name]
        rows: list[list[InlineKeyboardButton]] = []
        for row in spec.buttons:
            out: list[InlineKeyboardButton] = []
            for button in row:
                if button.when:
                    condition = self._conditions.setdefault(
                        button.when, compile_condition(self.runtime.store, button.when))
                    if not condition(scope):
                        continue
                text = self.runtime.label(button.label, locale, scope)
                if button.url is not None:
                    out.append(InlineKeyboardButton(text=text, url=button.url))
                    continue
                values = {key: self._value(a)(scope) for key, a in button.args.items()}
                try:
                    data = self._codecs[button.callback or ""].encode(values)
                except FlowError as exc:
                    raise FlowError(f"message {name!r}: {exc}") from None
                out.append(InlineKeyboardButton(text=text, callback_data=data))
            if out:
                rows.append(out)
        return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None

    def _value(self, source: str) -> Any:
        if source not in self._values:
            self._values[source] = compile_value(self.runtime.store, source)
        return self._values[source]

    def _scope(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"settings": self.runtime.settings.public(), "now": self.runtime.clock(), **data}

    async def send(self, message: str, chat_id: int, data: Mapping[str, Any], *,
                   locale: str | None = None, document: Document | None = None,
                   reply_to: int | None = None) -> int:
        loc = locale or await self.locale_of(chat_id)
        scope = self._scope(data)
        spec = self.runtime.scenario.messages[message]
        text = self.runtime.render(spec.text, loc, scope)
        markup = self._markup(message, scope, loc)
        if document is not None:
            sent = await self.sender.send_document(chat_id, document.file_id, caption=text,
                                                   reply_markup=markup)
        else:
            sent = await self.sender.send_text(chat_id, text, reply_markup=markup)
        await self.index.remember(chat_id, sent.message_id, message)
        return sent.message_id

    async def edit(self, message: str, chat_id: int, message_id: int, data: Mapping[str, Any],
                   *, locale: str | None = None) -> None:
        loc = self._locale(locale)
        scope = self._scope(data)
        spec = self.runtime.scenario.messages[message]
        await self.sender.edit_text(chat_id, message_id, self.runtime.render(spec.text, loc, scope),
                                    reply_markup=self._markup(message, scope, loc))

    async def send_document(self, chat_id: int, document: Document, *,
                            caption_template: str | None = None,
                            data: Mapping[str, Any] | None = None,
                            locale: str | None = None) -> int:
        caption = None
        if caption_template is not None:
            caption = self.runtime.render(caption_template, self._locale(locale),
                                          self._scope(data or {}))
        sent = await self.sender.send_document(chat_id, document.file_id, caption=caption)
        return sent.message_id
