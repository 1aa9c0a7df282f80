"""The engine's message manager on its own: a reply keyboard is taken away without leaving a
message no template wrote, and a rendering identical to what a message shows is not sent again."""

from __future__ import annotations

import pytest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram_dialog.api.entities import NewMessage, OldMessage, ShowMode

from engine.playground.botapi import BotApiEmulator, EmulatorSession
from engine.runtime.app import make_bot
from engine.runtime.messages import EngineMessageManager, rendering_digest
from engine.runtime.sender import Sender

TOKEN = "123456:TEST-TOKEN"


@pytest.mark.parametrize("mode", [ShowMode.DELETE_AND_SEND, ShowMode.SEND])
async def test_closing_the_last_dialog_takes_the_reply_keyboard_away_without_a_trace(
        mode: ShowMode) -> None:
    """aiogram-dialog asks for DELETE_AND_SEND after a reply keyboard in a private chat (the
    window is deleted) and SEND otherwise (the window stays)."""
    emu = BotApiEmulator()
    account = emu.add_bot(TOKEN, username="kbd_bot")
    chat = emu.private_chat(account, emu.add_user("Ann"))
    bot = make_bot(TOKEN, session=EmulatorSession(emu))
    manager = EngineMessageManager(Sender(bot))
    try:
        keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📱 Номер",
                                                                 request_contact=True)]])
        sent = await bot.send_message(chat.id, "Поделитесь номером", reply_markup=keyboard)
        assert emu.reply_keyboard(chat) is not None
        old = OldMessage(chat=sent.chat, message_id=sent.message_id, media_id=None,
                         media_uniq_id=None, text=sent.text, has_reply_keyboard=True)
        await manager.remove_kbd(bot, mode, old)  # what aiogram-dialog calls
    finally:
        await bot.session.close()
    assert emu.reply_keyboard(chat) is None
    kept = [] if mode is ShowMode.DELETE_AND_SEND else ["Поделитесь номером"]
    assert [m.content for m in emu.bot_messages(chat)] == kept


def test_a_rendering_differing_only_in_its_keyboard_is_a_different_rendering() -> None:
    def window(label: str) -> NewMessage:
        markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=label, callback_data="qty")]])
        return NewMessage(chat=None, text="<b>Чай</b>", reply_markup=markup)  # type: ignore[arg-type]

    assert rendering_digest(window("1 шт")) == rendering_digest(window("1 шт"))
    assert rendering_digest(window("1 шт")) != rendering_digest(window("2 шт"))
