"""Limits the Bot API states only in prose: each violation is a 400 aiogram raises as
TelegramBadRequest, with a Telegram-like description."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from engine.playground.botapi import BotApiEmulator, EmulatorSession, UserAccount, dispatch
from engine.playground.botapi.limits import PHOTO_UPLOAD_MAX

TOKEN = "123456:LIMITS"


@pytest.fixture
def world() -> BotApiEmulator:
    emulator = BotApiEmulator(clock=lambda: 1_700_000_000.0)
    emulator.add_bot(TOKEN, "limits_bot")
    return emulator


@pytest.fixture
def user(world: BotApiEmulator) -> UserAccount:
    person = world.add_user("Ann")
    world.private_chat(TOKEN, person)
    return person


@pytest.fixture
async def bot(world: BotApiEmulator) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, session=EmulatorSession(world))
    yield client
    await client.session.close()


def kb(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


async def test_text_of_4096_characters_is_accepted(bot: Bot, user: UserAccount) -> None:
    message = await bot.send_message(user.id, "x" * 4096)
    assert len(message.text or "") == 4096


async def test_text_longer_than_4096_characters_is_rejected(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "x" * 4097)


async def test_text_length_is_measured_after_html_parsing(bot: Bot, user: UserAccount) -> None:
    message = await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert message.text == "x" * 4096


async def test_text_that_is_only_whitespace_is_empty(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "<b> </b>", parse_mode="HTML")


async def test_malformed_html_cannot_be_parsed(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(user.id, "<div>hi</div>", parse_mode="HTML")


async def test_an_unescaped_ampersand_is_reported(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(user.id, "R&D", parse_mode="HTML")


async def test_callback_data_of_64_bytes_is_accepted(bot: Bot, user: UserAccount) -> None:
    data = "я" * 32  # 64 bytes in UTF-8
    await bot.send_message(
        user.id, "ok", reply_markup=kb(InlineKeyboardButton(text="a", callback_data=data))
    )


async def test_callback_data_of_65_bytes_is_rejected(bot: Bot, user: UserAccount) -> None:
    data = "я" * 32 + "x"
    button = InlineKeyboardButton(text="a", callback_data=data)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "ok", reply_markup=kb(button))


async def test_inline_button_without_an_action_is_rejected(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(user.id, "ok", reply_markup=kb(InlineKeyboardButton(text="a")))


async def test_inline_button_with_two_actions_is_rejected(bot: Bot, user: UserAccount) -> None:
    button = InlineKeyboardButton(text="a", url="https://example.org", callback_data="x")
    with pytest.raises(TelegramBadRequest, match="exactly one of the optional fields"):
        await bot.send_message(user.id, "ok", reply_markup=kb(button))


async def test_more_than_8_buttons_in_a_row_is_too_long(bot: Bot, user: UserAccount) -> None:
    row = [InlineKeyboardButton(text=str(i), callback_data=str(i)) for i in range(9)]
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(user.id, "ok", reply_markup=kb(*row))


async def test_more_than_100_inline_buttons_is_too_long(bot: Bot, user: UserAccount) -> None:
    rows = [
        [InlineKeyboardButton(text="b", callback_data=f"{r}.{c}") for c in range(5)]
        for r in range(21)
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(user.id, "ok", reply_markup=markup)


async def test_request_contact_keyboard_in_a_group_is_rejected(
    world: BotApiEmulator, bot: Bot, user: UserAccount
) -> None:
    group = world.create_group("Team", members=[user], bots=[TOKEN])
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Phone", request_contact=True)]])
    with pytest.raises(TelegramBadRequest, match="allowed in private chats only"):
        await bot.send_message(group.id, "Share?", reply_markup=markup)


async def test_request_contact_keyboard_in_a_private_chat_is_accepted(
    world: BotApiEmulator, bot: Bot, user: UserAccount
) -> None:
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Phone", request_contact=True)]])
    await bot.send_message(user.id, "Share?", reply_markup=markup)
    keyboard = world.reply_keyboard(world.private_chat(TOKEN, user))
    assert keyboard is not None
    assert keyboard[0][0].request_contact


async def test_an_unknown_parameter_is_rejected_by_name(bot: Bot, user: UserAccount) -> None:
    with pytest.raises(TelegramBadRequest, match='parameter "colour" is not a known parameter'):
        await bot(SendMessage(chat_id=user.id, text="hi", colour="red"))


async def test_a_missing_required_parameter_is_rejected_by_name(
    bot: Bot, user: UserAccount
) -> None:
    with pytest.raises(TelegramBadRequest, match='parameter "text" is required'):
        await bot(SendMessage.model_construct(chat_id=user.id))


async def test_wrong_scalar_types_are_rejected_by_name(
    world: BotApiEmulator, user: UserAccount
) -> None:
    reply = await dispatch(world, TOKEN, "deleteMessage", {"chat_id": user.id, "message_id": "x1"})
    assert reply.status == 400
    assert reply.body["description"] == 'Bad Request: parameter "message_id" must be Integer'


async def test_nested_objects_are_checked_field_by_field(
    world: BotApiEmulator, user: UserAccount
) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": 5}]]}
    reply = await dispatch(
        world, TOKEN, "sendMessage", {"chat_id": user.id, "text": "t", "reply_markup": markup}
    )
    assert reply.body["description"] == (
        'Bad Request: field "reply_markup.inline_keyboard[0][0].callback_data" must be String'
    )


async def test_unknown_nested_fields_are_rejected(world: BotApiEmulator, user: UserAccount) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "x", "request_contact": True}]]}
    reply = await dispatch(
        world, TOKEN, "sendMessage", {"chat_id": user.id, "text": "t", "reply_markup": markup}
    )
    assert "request_contact" in reply.body["description"]
    assert "is not a known field of InlineKeyboardButton" in reply.body["description"]


async def test_chat_ids_beyond_64_bits_are_rejected(world: BotApiEmulator) -> None:
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": 2**63, "text": "t"})
    assert reply.status == 400
    assert "out of range for a 64-bit integer" in reply.body["description"]


async def test_an_unknown_method_is_not_found(world: BotApiEmulator) -> None:
    reply = await dispatch(world, TOKEN, "sendTelepathy", {})
    assert (reply.status, reply.body["description"]) == (404, "Not Found")


async def test_caption_over_1024_characters_is_rejected(bot: Bot, user: UserAccount) -> None:
    photo = BufferedInputFile(b"\x89PNG....", "p.png")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(user.id, photo, caption="c" * 1025)


async def test_photos_over_10_mb_are_rejected(bot: Bot, user: UserAccount) -> None:
    photo = BufferedInputFile(b"0" * (PHOTO_UPLOAD_MAX + 1), "big.jpg")
    with pytest.raises(TelegramBadRequest, match="photo is too big"):
        await bot.send_photo(user.id, photo)


async def test_uploads_over_50_mb_are_too_large(bot: Bot, user: UserAccount) -> None:
    document = BufferedInputFile(b"0" * (50 * 1024 * 1024 + 1), "big.bin")
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_document(user.id, document)


async def test_get_file_refuses_files_over_20_mb(
    world: BotApiEmulator, bot: Bot, user: UserAccount
) -> None:
    stored = world.files.add("document", b"0" * (20 * 1024 * 1024 + 1), file_name="big.bin")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(stored.file_id)


@pytest.mark.parametrize("count", [1, 11])
async def test_media_groups_need_2_to_10_items(bot: Bot, user: UserAccount, count: int) -> None:
    media: list[Any] = [
        InputMediaPhoto(media=BufferedInputFile(b"img", f"{i}.png")) for i in range(count)
    ]
    with pytest.raises(TelegramBadRequest, match="2-10 items"):
        await bot.send_media_group(user.id, media)


async def test_callback_answer_text_over_200_characters_is_rejected(
    world: BotApiEmulator, bot: Bot, user: UserAccount
) -> None:
    sent = await bot.send_message(
        user.id, "q", reply_markup=kb(InlineKeyboardButton(text="a", callback_data="a"))
    )
    update = world.click(TOKEN, user.id, user, sent.message_id, "a")
    with pytest.raises(TelegramBadRequest, match="0-200 characters"):
        await bot.answer_callback_query(update["callback_query"]["id"], text="t" * 201)
