"""The one component that turns rendered windows into Bot API calls (aiogram-dialog's
MessageManager), extended with: toasts for button notices, photos from bytes, a text card when a
photo cannot be sent, no edit that would change nothing, and no message of its own.

aiogram-dialog takes a reply keyboard away by sending a message "..." with ReplyKeyboardRemove.
Here the window shown next carries the removal instead: sent with ReplyKeyboardRemove, and, when
it has buttons of its own (a message holds one keyboard), given them at once by
editMessageReplyMarkup. Only when no window follows (the last dialog closed) is a helper message
sent, and deleted at once.

aiogram-dialog edits the window after every event unless it can tell nothing changed, which it
cannot: it compares the HTML it renders with the plain text Telegram returns, and never compares
keyboards. Telegram then answers "message is not modified" (a wasted call on every refused
action). Here each message's last rendering (text, parse mode, media, keyboard) is remembered by
a digest, and an identical rendering is not sent again. The digests live in process memory: one
process serves a bot's updates (long polling); after a restart the first edit is made as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass, fields

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InputFile,
    Message,
    ReplyKeyboardRemove,
)
from aiogram_dialog.api.entities import MediaAttachment, NewMessage, OldMessage, ShowMode
from aiogram_dialog.api.protocols import MessageNotModified
from aiogram_dialog.manager.message_manager import MessageManager

from engine.runtime.sender import Sender
from engine.widgets.text import BYTES_SCHEME

__all__ = ["EngineMessageManager"]

log = logging.getLogger("engine.messages")
#: how many messages' last renderings are remembered (the oldest are forgotten first)
REMEMBERED = 20_000


@dataclass
class _CarryingRemoval(NewMessage):
    """A window's message that also takes away the reply keyboard the previous one showed."""


def _copy(message: NewMessage, cls: type[NewMessage] = NewMessage, **changes: object) -> NewMessage:
    values = {f.name: getattr(message, f.name) for f in fields(NewMessage)}
    values.update(changes)
    return cls(**values)


def rendering_digest(message: NewMessage) -> str:
    """What Telegram would show of ``message``: text, parse mode, media, keyboard, options."""
    media = message.media
    shown_media = None
    if media is not None:
        source = media.url or (str(media.path) if media.path else None)
        shown_media = (media.type, source or (media.file_id.file_id if media.file_id else None),
                       sorted(media.kwargs.items()))
    markup = message.reply_markup.model_dump_json() if message.reply_markup else None
    preview = (message.link_preview_options.model_dump_json()
               if message.link_preview_options else None)
    parts = (message.text, message.parse_mode, shown_media, markup, preview,
             bool(message.protect_content))
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


class EngineMessageManager(MessageManager):
    """aiogram-dialog sends the windows with the Bot it is given; the calls added here go
    through the bot's :class:`~engine.runtime.sender.Sender`."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.pending_notices: dict[str, str] = {}
        self._shown: OrderedDict[tuple[int, int], str] = OrderedDict()

    # ------------------------------------------------------------ what each message shows

    def _remember(self, message: OldMessage, rendering: NewMessage) -> None:
        key = (message.chat.id, message.message_id)
        self._shown[key] = rendering_digest(rendering)
        self._shown.move_to_end(key)
        while len(self._shown) > REMEMBERED:
            self._shown.popitem(last=False)

    def _forget(self, message: OldMessage) -> None:
        self._shown.pop((message.chat.id, message.message_id), None)

    def _message_changed(self, new_message: NewMessage, old_message: OldMessage) -> bool:
        if old_message.has_reply_keyboard or self.need_reply_keyboard(new_message):
            return True  # a reply keyboard is never edited
        shown = self._shown.get((old_message.chat.id, old_message.message_id))
        if shown is not None and shown == rendering_digest(new_message):
            return False
        return super()._message_changed(new_message, old_message)

    async def show_message(self, bot: Bot, new_message: NewMessage,
                           old_message: OldMessage | None) -> OldMessage:
        if (old_message is not None and new_message.show_mode is not ShowMode.NO_UPDATE
                and self.had_reply_keyboard(old_message)
                and not self.need_reply_keyboard(new_message)):
            new_message = _copy(new_message, _CarryingRemoval)
        try:
            shown = await super().show_message(bot, new_message, old_message)
        except MessageNotModified:
            if old_message is not None and new_message.show_mode is not ShowMode.NO_UPDATE:
                self._remember(old_message, new_message)  # Telegram says it shows just this
            raise
        self._remember(shown, new_message)
        return shown

    async def remove_inline_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if old_message is not None:
            self._forget(old_message)
        return await super().remove_inline_kbd(bot, old_message)

    async def remove_message_safe(self, bot: Bot, old_message: OldMessage,
                                  new_message: NewMessage | None) -> None:
        self._forget(old_message)
        await super().remove_message_safe(bot, old_message, new_message)

    # ------------------------------------------------------------ reply keyboards

    async def _remove_kbd(self, bot: Bot, old_message: OldMessage | None,
                          new_message: NewMessage | None) -> Message | None:
        if isinstance(new_message, _CarryingRemoval):
            return None  # the window sent next takes the reply keyboard away
        return await super()._remove_kbd(bot, old_message, new_message)

    async def send_message(self, bot: Bot, new_message: NewMessage) -> Message:
        if not isinstance(new_message, _CarryingRemoval):
            return await super().send_message(bot, new_message)
        sent = await super().send_message(bot, _copy(new_message,
                                                     reply_markup=ReplyKeyboardRemove()))
        if new_message.reply_markup is None:
            return sent
        try:
            edited = await self.sender.edit_markup(
                sent.chat.id, sent.message_id,
                new_message.reply_markup,  # type: ignore[arg-type]
                business_connection_id=new_message.business_connection_id)
        except TelegramBadRequest as exc:
            log.warning("buttons could not be added to the window (%s): sending it again",
                        exc.message)
            again = await super().send_message(bot, _copy(new_message))
            await self._delete_quietly(bot, sent)
            return again
        return edited if isinstance(edited, Message) else sent

    async def remove_kbd(self, bot: Bot, show_mode: ShowMode,
                         old_message: OldMessage | None) -> Message | None:
        removed = await super().remove_kbd(bot, show_mode, old_message)
        if show_mode is ShowMode.DELETE_AND_SEND and self.had_reply_keyboard(old_message):
            await self.remove_reply_kbd(bot, old_message)  # deleting its message leaves it shown
        return removed

    async def remove_reply_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        """No window follows (the last dialog closed): a helper message takes the keyboard away
        and is deleted at once, so the chat keeps only what templates wrote."""
        if old_message is None:
            return None
        text = old_message.text if isinstance(old_message.text, str) and old_message.text else "…"
        helper = await self.send_text(bot, NewMessage(
            chat=old_message.chat, text=text, parse_mode=None, reply_markup=ReplyKeyboardRemove(),
            business_connection_id=old_message.business_connection_id))
        await self._delete_quietly(bot, helper)
        return None

    async def _delete_quietly(self, bot: Bot, message: Message) -> None:
        try:
            await self.sender.delete(message.chat.id, message.message_id)
        except TelegramBadRequest as exc:
            log.warning("a helper message could not be deleted: %s", exc.message)

    # ------------------------------------------------------------ notices and media

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        text = self.pending_notices.pop(callback_query.id, None)
        try:
            await self.sender.answer_callback(callback_query.id, text)
        except TelegramAPIError as exc:
            if "query id is invalid" in exc.message.lower() or "too old" in exc.message.lower():
                log.warning("cannot answer callback: %s", exc)
            else:
                raise

    async def get_media_source(self, media: MediaAttachment, bot: Bot) -> InputFile | str:
        if media.url and media.url.startswith(BYTES_SCHEME):
            payload: bytes = getattr(media, "payload", b"")
            return BufferedInputFile(payload, filename="image.png")
        return await super().get_media_source(media, bot)

    async def send_media(self, bot: Bot, new_message: NewMessage) -> Message:
        # a caption over 1024 characters is shortened on its way (engine.runtime.fitting): an
        # item card keeps its picture, which identifies the item, and the buttons below it
        try:
            return await super().send_media(bot, new_message)
        except TelegramBadRequest as exc:
            log.warning("photo could not be sent (%s): sending a text card", exc.message)
            return await self.send_text(bot, new_message)

    async def edit_media(self, bot: Bot, new_message: NewMessage,
                         old_message: OldMessage) -> Message:
        try:
            return await super().edit_media(bot, new_message, old_message)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message.lower():
                raise
            log.warning("photo could not be shown (%s): showing a text card", exc.message)
            return await self._text_instead(bot, new_message, old_message)

    async def _text_instead(self, bot: Bot, new_message: NewMessage,
                            old_message: OldMessage) -> Message:
        """A media message cannot become a text one by editing: replace it."""
        if old_message.media_id is None:
            return await self.edit_text(bot, new_message, old_message)
        await self.remove_message_safe(bot, old_message, new_message)
        return await self.send_text(bot, new_message)
