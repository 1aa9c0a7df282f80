"""The emulator in webhook mode: updates POSTed to the bot's URL, as Telegram delivers them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from engine.playground.botapi import BotApiEmulator, EmulatorServer

TOKEN = "123456:HOOK"
SECRET = "s3cret-Token_1"


class Receiver:
    """A webhook endpoint on loopback that records what it gets and answers ``statuses``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.json(),
                              request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    hook.url = f"http://127.0.0.1:{port}/hook"
    yield hook
    await runner.cleanup()


def make_world(*, http: bool = True) -> BotApiEmulator:
    world = BotApiEmulator(allow_http_webhooks=http)
    world.add_bot(TOKEN, "hook_bot")
    return world


@pytest.fixture
async def world_and_bot(receiver: Receiver) -> AsyncIterator[tuple[BotApiEmulator, Bot]]:
    world = make_world()  # stopped before the receiver: no delivery outlives its endpoint
    async with EmulatorServer(world) as server:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
        yield world, bot
        await bot.session.close()


async def until(condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_updates_are_posted_to_the_webhook_with_the_secret_token(
    world_and_bot: tuple[BotApiEmulator, Bot], receiver: Receiver,
) -> None:
    world, bot = world_and_bot
    user = world.add_user("Ann")
    chat = world.private_chat(TOKEN, user)
    assert await bot.set_webhook(receiver.url, secret_token=SECRET,
                                 allowed_updates=["message"])
    world.send_text(TOKEN, chat, user, "/start")
    world.send_text(TOKEN, chat, user, "second")
    await until(lambda: len(receiver.received) == 2)
    (first, secret), (second, _) = receiver.received
    assert secret == SECRET
    assert first["message"]["text"] == "/start"
    assert second["message"]["text"] == "second"
    assert second["update_id"] > first["update_id"]
    await until(lambda: not world.bots[TOKEN].queue.pending)
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()


async def test_a_refused_delivery_is_tried_again_and_reported_in_the_webhook_info(
    world_and_bot: tuple[BotApiEmulator, Bot], receiver: Receiver,
) -> None:
    world, bot = world_and_bot
    user = world.add_user("Ann")
    chat = world.private_chat(TOKEN, user)
    receiver.statuses = [401, 500]
    await bot.set_webhook(receiver.url)
    sent = world.send_text(TOKEN, chat, user, "hello")
    await until(lambda: len(receiver.received) == 3)
    assert {u["update_id"] for u, _ in receiver.received} == {sent["update_id"]}
    assert receiver.received[0][1] is None  # no secret_token set, no header
    assert [a.status for a in world.webhooks.attempts] == [401, 500, 200]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.pending_update_count == 0


async def test_after_delete_webhook_updates_wait_for_get_updates(
    world_and_bot: tuple[BotApiEmulator, Bot], receiver: Receiver,
) -> None:
    world, bot = world_and_bot
    user = world.add_user("Ann")
    chat = world.private_chat(TOKEN, user)
    await bot.set_webhook(receiver.url)
    await bot.delete_webhook()
    world.send_text(TOKEN, chat, user, "hello")
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert receiver.received == []


async def test_http_webhooks_are_refused_unless_the_world_allows_them(receiver: Receiver) -> None:
    async with EmulatorServer(make_world(http=False)) as server:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
        try:
            with pytest.raises(TelegramBadRequest, match="HTTPS url must be provided"):
                await bot.set_webhook(receiver.url)
        finally:
            await bot.session.close()


async def test_a_secret_token_with_unallowed_characters_is_refused(
    world_and_bot: tuple[BotApiEmulator, Bot], receiver: Receiver,
) -> None:
    _, bot = world_and_bot
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook(receiver.url, secret_token="not allowed!")


async def test_a_webhook_off_loopback_is_never_called(
    world_and_bot: tuple[BotApiEmulator, Bot],
) -> None:
    world, bot = world_and_bot
    user = world.add_user("Ann")
    chat = world.private_chat(TOKEN, user)
    await bot.set_webhook("https://example.org/hook")
    world.send_text(TOKEN, chat, user, "hello")
    await asyncio.sleep(0.2)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert "only to loopback" in (info.last_error_message or "")
    assert world.webhooks.attempts == []
