"""A real aiogram Bot on the in-process EmulatorSession: same validation, same exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendGame
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    ReplyParameters,
)

from engine.playground.botapi import BotApiEmulator, EmulatorSession, UserAccount

TOKEN = "123456:SESSION"
PNG_1x2 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x02rest"


@pytest.fixture
def world() -> BotApiEmulator:
    emulator = BotApiEmulator()
    emulator.add_bot(TOKEN, "session_bot", "Session Bot")
    return emulator


@pytest.fixture
def ann(world: BotApiEmulator) -> UserAccount:
    user = world.add_user("Ann")
    world.private_chat(TOKEN, user)
    return user


@pytest.fixture
async def bot(world: BotApiEmulator) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, session=EmulatorSession(world))
    yield client
    await client.session.close()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "session_bot")


async def test_html_message_with_inline_keyboard_is_recorded(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(
        ann.id, "<b>Pick</b> one", parse_mode="HTML", reply_markup=keyboard(("A", "a"), ("B", "b"))
    )
    assert sent.text == "Pick one"
    stored = world.last_bot_message(world.private_chat(TOKEN, ann))
    assert stored is not None
    assert stored.message_id == sent.message_id
    assert [b.callback_data for b in stored.buttons[0]] == ["a", "b"]
    assert world.calls_of("sendMessage")[0].params["parse_mode"] == "HTML"


async def test_default_parse_mode_is_sent_and_applied(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    session = EmulatorSession(world)
    async with Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML")) as bot:
        sent = await bot.send_message(ann.id, "<i>x</i>")
    assert sent.entities is not None
    assert sent.entities[0].type == "italic"


async def test_retry_after_is_raised_from_a_scripted_429(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    world.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(ann.id, "x")
    assert caught.value.retry_after == 7


async def test_a_blocked_user_raises_forbidden(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    world.block(TOKEN, ann)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ann.id, "x")


async def test_methods_the_emulator_lacks_are_server_errors(bot: Bot, ann: UserAccount) -> None:
    with pytest.raises(TelegramServerError, match="not emulated"):
        await bot(SendGame(chat_id=ann.id, game_short_name="g"))


async def test_editing_text_changes_the_message_and_its_keyboard(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(ann.id, "v1", reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text(
        "v2", chat_id=ann.id, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert not isinstance(edited, bool)
    assert edited.edit_date is not None
    stored = world.last_bot_message(world.private_chat(TOKEN, ann))
    assert stored is not None
    assert (stored.text, stored.edited, stored.buttons[0][0].text) == ("v2", True, "B")


async def test_an_edit_without_reply_markup_removes_the_inline_keyboard(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(ann.id, "v1", reply_markup=keyboard(("A", "a")))
    await bot.edit_message_text("v2", chat_id=ann.id, message_id=sent.message_id)
    stored = world.last_bot_message(world.private_chat(TOKEN, ann))
    assert stored is not None
    assert stored.buttons == []


async def test_an_edit_that_changes_nothing_is_not_modified(bot: Bot, ann: UserAccount) -> None:
    sent = await bot.send_message(ann.id, "same", reply_markup=keyboard(("A", "a")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=ann.id, message_id=sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=ann.id, message_id=sent.message_id, reply_markup=keyboard(("A", "a"))
        )


async def test_editing_a_missing_or_foreign_message_fails(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ann.id, message_id=404)
    user_message = world.send_text(TOKEN, ann.id, ann, "mine")["message"]["message_id"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=ann.id, message_id=user_message)


async def test_deleted_messages_are_gone_for_edits_and_deletes(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(ann.id, "bye")
    assert await bot.delete_message(ann.id, sent.message_id)
    chat = world.private_chat(TOKEN, ann)
    assert world.messages(chat) == []
    assert world.messages(chat, include_deleted=True)[0].deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ann.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ann.id, message_id=sent.message_id)


async def test_delete_messages_skips_missing_ones(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    first = await bot.send_message(ann.id, "1")
    second = await bot.send_message(ann.id, "2")
    assert await bot.delete_messages(ann.id, [first.message_id, 999, second.message_id])
    assert world.messages(world.private_chat(TOKEN, ann)) == []


async def test_replies_must_point_at_an_existing_message(bot: Bot, ann: UserAccount) -> None:
    anchor = await bot.send_message(ann.id, "anchor")
    reply = await bot.send_message(
        ann.id, "re", reply_parameters=ReplyParameters(message_id=anchor.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == anchor.message_id
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(ann.id, "re", reply_parameters=ReplyParameters(message_id=999))


async def test_document_upload_get_file_and_download_round_trip(bot: Bot, ann: UserAccount) -> None:
    sent = await bot.send_document(ann.id, BufferedInputFile(b"report bytes", "report.txt"))
    assert sent.document is not None
    assert sent.document.file_name == "report.txt"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_size == len(b"report bytes")
    downloaded = await bot.download(file.file_id)
    assert downloaded is not None
    assert downloaded.read() == b"report bytes"


async def test_photos_by_upload_url_and_file_id(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    uploaded = await bot.send_photo(
        ann.id, BufferedInputFile(PNG_1x2, "p.png"), caption="<b>c</b>", parse_mode="HTML"
    )
    assert uploaded.photo is not None
    assert (uploaded.photo[-1].width, uploaded.photo[-1].height) == (1, 2)
    assert uploaded.caption == "c"
    again = await bot.send_photo(ann.id, uploaded.photo[-1].file_id)
    assert again.photo is not None
    assert again.photo[-1].file_id == uploaded.photo[-1].file_id
    by_url = await bot.send_photo(ann.id, "https://example.org/cat.jpg")
    assert by_url.photo is not None
    stored = world.files.get(by_url.photo[-1].file_id)
    assert stored is not None
    assert stored.url == "https://example.org/cat.jpg"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(ann.id, "no-such-file-id")


async def test_media_groups_share_a_media_group_id(bot: Bot, ann: UserAccount) -> None:
    sent = await bot.send_media_group(
        ann.id,
        [
            InputMediaPhoto(media=BufferedInputFile(PNG_1x2, "a.png"), caption="first"),
            InputMediaPhoto(media=BufferedInputFile(PNG_1x2, "b.png")),
        ],
    )
    assert len(sent) == 2
    assert sent[0].media_group_id is not None
    assert sent[0].media_group_id == sent[1].media_group_id
    assert sent[0].caption == "first"


async def test_edit_message_media_swaps_the_file(bot: Bot, ann: UserAccount) -> None:
    sent = await bot.send_document(ann.id, BufferedInputFile(b"v1", "v1.txt"))
    edited = await bot.edit_message_media(
        InputMediaDocument(media=BufferedInputFile(b"v2", "v2.txt"), caption="new"),
        chat_id=ann.id,
        message_id=sent.message_id,
    )
    assert not isinstance(edited, bool)
    assert edited.document is not None
    assert edited.document.file_name == "v2.txt"
    assert edited.caption == "new"


async def test_copy_and_forward(world: BotApiEmulator, bot: Bot, ann: UserAccount) -> None:
    original = world.send_text(TOKEN, ann.id, ann, "note")["message"]["message_id"]
    copied = await bot.copy_message(ann.id, ann.id, original)
    forwarded = await bot.forward_message(ann.id, ann.id, original)
    texts = [m.text for m in world.bot_messages(world.private_chat(TOKEN, ann))]
    assert texts == ["note", "note"]
    assert copied.message_id + 1 == forwarded.message_id
    assert forwarded.forward_origin is not None


async def test_callback_queries_are_answered_once(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(ann.id, "q", reply_markup=keyboard(("A", "a")))
    query_id = world.click(TOKEN, ann.id, ann, sent.message_id, "a")["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Done", show_alert=True)
    assert [(a.text, a.show_alert) for a in world.callback_answers] == [("Done", True)]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="hilfe", description="Hilfe")], language_code="de"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["hilfe"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_chat_and_member_information(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    group = world.create_group("Team", members=[ann], bots=[TOKEN])
    chat = await bot.get_chat(group.id)
    assert (chat.id, chat.type, chat.title) == (group.id, "supergroup", "Team")
    owner = await bot.get_chat_member(group.id, ann.id)
    me = await bot.get_chat_member(group.id, bot.id)
    assert (owner.status, me.status) == ("creator", "administrator")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-1)


async def test_chat_actions_and_locations(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    assert await bot.send_chat_action(ann.id, "typing")
    assert world.chat_actions == [(ann.id, "typing")]
    sent = await bot.send_location(ann.id, 59.93, 30.33)
    assert sent.location is not None
    assert sent.location.latitude == pytest.approx(59.93)


async def test_get_updates_long_polls_until_an_update_arrives(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    world.send_text(TOKEN, ann.id, ann, "wake up")
    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message is not None
    assert updates[0].message.text == "wake up"


async def test_get_updates_is_refused_while_a_webhook_is_set(bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_input_file_only_parameters_accept_attached_uploads(bot: Bot) -> None:
    certificate = BufferedInputFile(b"-----BEGIN CERTIFICATE-----", "cert.pem")
    assert await bot.set_webhook("https://example.org/hook", certificate=certificate)
