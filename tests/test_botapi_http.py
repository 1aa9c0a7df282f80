"""The emulator over HTTP on 127.0.0.1: a real aiogram Bot with AiohttpSession talks to it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from engine.playground.botapi import BotApiEmulator, EmulatorServer, UserAccount

TOKEN = "123456:HTTP"


@pytest.fixture
def world() -> BotApiEmulator:
    emulator = BotApiEmulator()
    emulator.add_bot(TOKEN, "http_bot", "HTTP Bot")
    return emulator


@pytest.fixture
def ann(world: BotApiEmulator) -> UserAccount:
    user = world.add_user("Ann")
    world.private_chat(TOKEN, user)
    return user


@pytest.fixture
async def server(world: BotApiEmulator) -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(world, host="127.0.0.1", port=0) as srv:
        yield srv


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    client = Bot(TOKEN, session=session)
    yield client
    await client.session.close()


@pytest.fixture
async def http(server: EmulatorServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.base_url) as client:
        yield client


def inline(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]]
    )


async def test_server_listens_on_a_free_loopback_port(server: EmulatorServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.port > 0


async def test_html_message_with_inline_keyboard_over_loopback(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    sent = await bot.send_message(
        ann.id, "<b>Hello</b>, <i>Ann</i>", parse_mode="HTML", reply_markup=inline(("Go", "go"))
    )
    assert sent.text == "Hello, Ann"
    assert sent.reply_markup is not None
    stored = world.last_bot_message(world.private_chat(TOKEN, ann))
    assert stored is not None
    assert stored.text == "Hello, Ann"
    assert stored.buttons[0][0].callback_data == "go"
    call = world.calls_of("sendMessage")[-1]
    assert call.ok
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]
    }


@pytest.mark.parametrize(
    ("method", "description"),
    [
        (SendMessage(chat_id=0, text="x" * 4097), "message is too long"),
        (
            SendMessage(chat_id=0, text="x", reply_markup=inline(("a", "d" * 65))),
            "BUTTON_DATA_INVALID",
        ),
        (SendMessage(chat_id=0, text="<b>x</i>", parse_mode="HTML"), "can't parse entities"),
        (SendMessage(chat_id=0, text="x", colour="red"), 'parameter "colour"'),
        (SendMessage.model_construct(chat_id=0), 'parameter "text" is required'),
    ],
    ids=["too-long", "callback-data-65-bytes", "malformed-html", "unknown-param", "missing-text"],
)
async def test_bad_requests_raise_telegram_bad_request_over_http(
    bot: Bot, ann: UserAccount, method: SendMessage, description: str
) -> None:
    method.chat_id = ann.id
    with pytest.raises(TelegramBadRequest, match=description):
        await bot(method)


async def test_retry_after_over_http(world: BotApiEmulator, bot: Bot, ann: UserAccount) -> None:
    world.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(ann.id, "x")
    assert caught.value.retry_after == 2


async def test_blocked_user_over_http(world: BotApiEmulator, bot: Bot, ann: UserAccount) -> None:
    world.block(TOKEN, ann)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ann.id, "x")


async def test_request_contact_keyboard_to_a_group_is_rejected_over_http(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    group = world.create_group("Team", members=[ann], bots=[TOKEN])
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Phone", request_contact=True)]])
    with pytest.raises(TelegramBadRequest, match="private chats only"):
        await bot.send_message(group.id, "share", reply_markup=markup)


async def test_long_polling_returns_a_queued_update_and_the_next_poll_confirms_it(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5, allowed_updates=["message"]))
    await asyncio.sleep(0.05)
    update_id = world.send_text(TOKEN, ann.id, ann, "ping")["update_id"]
    updates = await asyncio.wait_for(poll, 2)
    assert [u.update_id for u in updates] == [update_id]
    assert not world.update(update_id).confirmed
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == []
    assert (await world.wait_confirmed(update_id, timeout=1)).confirmed


async def test_upload_then_get_file_and_download_over_http(bot: Bot, ann: UserAccount) -> None:
    payload = bytes(range(256)) * 100
    sent = await bot.send_document(ann.id, BufferedInputFile(payload, "blob.bin"), caption="blob")
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download(file)
    assert downloaded is not None
    assert downloaded.read() == payload


async def test_json_urlencoded_and_query_requests_are_understood(
    http: aiohttp.ClientSession, ann: UserAccount
) -> None:
    async with http.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": ann.id, "text": "json"}) as r:
        assert (r.status, (await r.json())["result"]["text"]) == (200, "json")
    form = {"chat_id": str(ann.id), "text": "form", "reply_markup": '{"remove_keyboard": true}'}
    async with http.post(f"/bot{TOKEN}/sendMessage", data=form) as r:
        assert (r.status, (await r.json())["result"]["text"]) == (200, "form")
    async with http.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": ann.id, "text": "get"}) as r:
        assert (r.status, (await r.json())["result"]["text"]) == (200, "get")


async def test_a_direct_file_part_counts_as_the_parameter(
    http: aiohttp.ClientSession, ann: UserAccount
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ann.id))
    form.add_field("document", b"raw", filename="raw.txt", content_type="text/plain")
    async with http.post(f"/bot{TOKEN}/sendDocument", data=form) as r:
        body = await r.json()
    assert body["result"]["document"]["file_name"] == "raw.txt"
    assert body["result"]["document"]["mime_type"] == "text/plain"


async def test_errors_are_json_with_the_bot_api_envelope(http: aiohttp.ClientSession) -> None:
    async with http.post(f"/bot{TOKEN}/sendMessage", json={"text": "x"}) as r:
        assert r.status == 400
        assert await r.json() == {
            "ok": False,
            "error_code": 400,
            "description": 'Bad Request: parameter "chat_id" is required',
        }
    async with http.get(f"/bot{TOKEN}/noSuchMethod") as r:
        assert (r.status, (await r.json())["description"]) == (404, "Not Found")
    async with http.get(f"/file/bot{TOKEN}/documents/none.bin") as r:
        assert r.status == 404


async def _control(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> Any:
    async with http.post(f"/_emu/{path}", json=body) as r:
        reply = await r.json()
    assert reply["ok"], reply
    return reply["result"]


async def test_control_api_plays_a_user_for_a_web_chat(
    world: BotApiEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    user = await _control(http, "users", {"first_name": "Web"})
    update = await _control(
        http,
        "send_text",
        {"bot": TOKEN, "chat_id": user["id"], "user_id": user["id"], "text": "/start"},
    )
    assert update["message"]["entities"][0]["type"] == "bot_command"
    sent = await bot.send_message(user["id"], "Menu", reply_markup=inline(("A", "a")))
    async with http.get(f"/_emu/chats/{user['id']}/messages", params={"bot": TOKEN}) as r:
        messages = (await r.json())["result"]
    assert [m["text"] for m in messages] == ["/start", "Menu"]
    assert messages[1]["keyboard"] == [[{"text": "A", "kind": "callback_data", "value": "a"}]]
    click = await _control(
        http,
        "click",
        {
            "bot": TOKEN,
            "chat_id": user["id"],
            "user_id": user["id"],
            "message_id": sent.message_id,
            "callback_data": "a",
        },
    )
    assert click["callback_query"]["data"] == "a"
    doc = await _control(
        http,
        "document",
        {
            "bot": TOKEN,
            "chat_id": user["id"],
            "user_id": user["id"],
            "file_name": "x.txt",
            "data_base64": base64.b64encode(b"hi").decode(),
        },
    )
    assert world.file_bytes(doc["message"]["document"]["file_id"]) == b"hi"
    async with http.post(
        "/_emu/click",
        json={
            "bot": TOKEN,
            "chat_id": user["id"],
            "user_id": user["id"],
            "message_id": sent.message_id,
            "callback_data": "zzz",
        },
    ) as r:
        assert r.status == 400
        assert "no button" in (await r.json())["error"]


async def test_a_dispatcher_polls_handles_and_answers_end_to_end(
    world: BotApiEmulator, bot: Bot, ann: UserAccount
) -> None:
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        await message.answer(
            "<b>Welcome</b>", parse_mode="HTML", reply_markup=inline(("Next", "next"))
        )

    @router.callback_query(F.data == "next")
    async def next_step(query: CallbackQuery) -> None:
        await query.answer("ok")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Step 2")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=1,
            handle_as_tasks=False,
            handle_signals=False,
            close_bot_session=False,
        )
    )
    try:
        chat = world.private_chat(TOKEN, ann)
        started = world.send_command(TOKEN, chat, ann, "start")
        await world.wait_confirmed(started["update_id"], timeout=5)
        welcome = world.last_bot_message(chat)
        assert welcome is not None
        assert welcome.text == "Welcome"
        clicked = world.click(TOKEN, chat, ann, welcome.message_id, "next")
        await world.wait_confirmed(clicked["update_id"], timeout=5)
        assert welcome.text == "Step 2"
        assert welcome.edited
        assert [a.text for a in world.callback_answers] == ["ok"]
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
