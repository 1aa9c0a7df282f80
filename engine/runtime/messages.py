"""The one component that turns rendered windows into Bot API calls (aiogram-dialog's
MessageManager), extended with: toasts for button notices, photos from bytes, and a text card
when a photo URL cannot be sent."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InputFile, Message
from aiogram_dialog.api.entities import MediaAttachment, NewMessage, OldMessage
from aiogram_dialog.manager.message_manager import MessageManager

from engine.widgets.text import BYTES_SCHEME

__all__ = ["EngineMessageManager"]

log = logging.getLogger("engine.messages")
CAPTION_LIMIT = 1024


class EngineMessageManager(MessageManager):
    def __init__(self) -> None:
        self.pending_notices: dict[str, str] = {}

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        text = self.pending_notices.pop(callback_query.id, None)
        try:
            await bot.answer_callback_query(callback_query_id=callback_query.id, text=text)
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
        if new_message.text and len(new_message.text) > CAPTION_LIMIT:
            log.warning("caption over %s characters: sending the text without the photo",
                        CAPTION_LIMIT)
            return await self.send_text(bot, new_message)
        try:
            return await super().send_media(bot, new_message)
        except TelegramBadRequest as exc:
            log.warning("photo could not be sent (%s): sending a text card", exc.message)
            return await self.send_text(bot, new_message)

    async def edit_media(self, bot: Bot, new_message: NewMessage,
                         old_message: OldMessage) -> Message:
        if new_message.text and len(new_message.text) > CAPTION_LIMIT:
            log.warning("caption over %s characters: showing the text without the photo",
                        CAPTION_LIMIT)
            return await self._text_instead(bot, new_message, old_message)
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
