"""The one way out to Telegram: every message, edit, deletion and button answer a bot makes.

One :class:`Sender` per bot, built by the composition root (``runtime/app.py``) and found in the
dispatcher's data (:func:`sender_of`). The message manager (windows), the notifier (side
messages), the handlers, the dialogs' notices and replies, the inputs' refusals and the error
handler all send through it, and every call passes :meth:`Sender.call`: the place where rate
limits and metrics of outgoing calls belong. ``tests/test_sender.py`` enforces that no other
engine module calls the Bot's sending methods. (aiogram-dialog's own ``MessageManager``, which
``EngineMessageManager`` extends, sends the windows with the Bot it is given.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Message

__all__ = ["SENDER_KEY", "Sender", "sender_of"]

#: where the dispatcher's data holds the bot's :class:`Sender`
SENDER_KEY = "engine_sender"

T = TypeVar("T")
#: the bot's default parse mode (HTML, set by ``make_bot``)
BOT_DEFAULT = Default("parse_mode")


class Sender:
    """Sends one bot's calls to the Bot API."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def call(self, method: TelegramMethod[T]) -> T:
        """Every outgoing call passes here."""
        return await self.bot(method)

    async def send_text(self, chat_id: int, text: str, *,
                        reply_markup: InlineKeyboardMarkup | None = None) -> Message:
        """An HTML message (a template's rendering)."""
        return await self.call(SendMessage(chat_id=chat_id, text=text, parse_mode="HTML",
                                           reply_markup=reply_markup))

    async def send_document(self, chat_id: int, file_id: str, *, caption: str | None,
                            reply_markup: InlineKeyboardMarkup | None = None) -> Message:
        return await self.call(SendDocument(chat_id=chat_id, document=file_id, caption=caption,
                                            parse_mode="HTML", reply_markup=reply_markup))

    async def edit_text(self, chat_id: int, message_id: int, text: str, *,
                        reply_markup: InlineKeyboardMarkup | None) -> Message | bool:
        return await self.call(EditMessageText(chat_id=chat_id, message_id=message_id,
                                               text=text, parse_mode="HTML",
                                               reply_markup=reply_markup))

    async def edit_markup(self, chat_id: int, message_id: int,
                          reply_markup: InlineKeyboardMarkup | None, *,
                          business_connection_id: str | None = None) -> Message | bool:
        return await self.call(EditMessageReplyMarkup(
            chat_id=chat_id, message_id=message_id, reply_markup=reply_markup,
            business_connection_id=business_connection_id))

    async def delete(self, chat_id: int, message_id: int) -> bool:
        return await self.call(DeleteMessage(chat_id=chat_id, message_id=message_id))

    async def answer(self, message: Message, text: str, *,
                     parse_mode: str | Default | None = BOT_DEFAULT) -> Message:
        """A message in the chat (and topic) of ``message``; HTML unless ``parse_mode`` says."""
        return await self.call(message.answer(text, parse_mode=parse_mode))

    async def reply(self, message: Message, text: str) -> Message:
        """A message replying to ``message``."""
        return await self.call(message.reply(text))

    async def answer_callback(self, callback_id: str, text: str | None = None, *,
                              show_alert: bool | None = None) -> bool:
        """Stops a button's spinner, with a toast when ``text`` is given."""
        return await self.call(AnswerCallbackQuery(callback_query_id=callback_id, text=text,
                                                   show_alert=show_alert))


def sender_of(data: Mapping[str, Any]) -> Sender:
    """The bot's sender, from a handler's, a middleware's or a dialog manager's data."""
    return cast(Sender, data[SENDER_KEY])
