"""Redis going away while the orders bot is in use: every update is still answered (a "try again
in a minute" notice, callbacks answered so they stop spinning), nothing stored in Redis is lost,
one warning line per outage, and the bot is back to normal as soon as Redis is."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from engine.errors import ServiceUnavailable, StorageUnavailable
from engine.runtime.storage import create_storage
from engine.testing import Actor, Playground
from tests.shop.conftest import ORDERS, Regos, open_item, start

UNAVAILABLE = "Сервис временно недоступен. Попробуйте через минуту."
UNAVAILABLE_EN = "The service is temporarily unavailable. Try again in a minute."


class RedisProcess:
    """A throwaway redis-server that a test can stop and start again; its data is saved on stop
    and loaded on start, as a restarted production Redis would do.

    It listens on a unix socket in the test's folder, not on a TCP port: a port left free while
    Redis is down can become the local port of any other process's connection (tests running
    beside this one), and Redis then cannot listen on it again ("Address already in use")."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (make test installs it)")
        self.binary = binary
        self.workdir = workdir
        self.socket = workdir / "redis.sock"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            self.binary, "--port", "0", "--unixsocket", str(self.socket), "--save", "",
            "--appendonly", "no", "--dir", str(self.workdir),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    if await client.ping():
                        return
                except Exception:  # not listening yet, or still loading the saved data
                    await asyncio.sleep(0.05)
            raise AssertionError("redis-server did not start")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """SHUTDOWN SAVE: the data is written to disk, then the server exits."""
        assert self.proc is not None
        client = Redis.from_url(self.url)
        try:
            await client.shutdown(save=True)
        except Exception:  # the connection closes as the server exits
            pass
        finally:
            await client.aclose()
        await asyncio.wait_for(self.proc.wait(), 10)
        self.proc = None

    async def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            await self.proc.wait()
            self.proc = None


@pytest.fixture
async def redis_proc(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


@pytest.fixture
async def regos() -> AsyncIterator[Regos]:
    """The REGOS emulator the orders bot's shop talks to (as in tests/shop)."""
    emu = RegosEmulator(demo_shop())
    async with RegosEmulatorServer(emu) as server:
        yield Regos(emu, server)


def _cart_key(user: Actor) -> str:
    return f"clients:cart:telegram_bot_orders:{DEMO_CONNECTED_INTEGRATION_ID}:{user.chat.id}"


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


async def _snapshot(url: str, user: Actor) -> tuple[list[object], dict[str, str | None]]:
    """The user's cart lines and every FSM key with its value (aiogram-dialog's state)."""
    redis = Redis.from_url(url, decode_responses=True)
    try:
        raw = await redis.get(_cart_key(user))
        keys = sorted(str(k) for k in await redis.keys("fsm:*"))
        state = {k: _text(await redis.get(k)) for k in keys if not k.endswith(":lock")}
        return (json.loads(raw) if raw else []), state
    finally:
        await redis.aclose()


async def test_during_an_outage_every_update_is_answered_and_nothing_stored_is_lost(
    regos: Regos, redis_proc: RedisProcess, caplog: pytest.LogCaptureFixture,
) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 3)[0]
    async with Playground.open(ORDERS, environ=regos.environ(), redis_url=redis_proc.url,
                               transport="http") as play:
        assert play.app.storage.redis is not None
        alice = await start(play)
        await open_item(alice, item)
        await alice.click("➕ В корзину")
        cart, state = await _snapshot(redis_proc.url, alice)
        assert len(cart) == 1
        assert state, "the dialog state is in Redis"
        buttons_before = alice.buttons()
        sent_before = len(play.calls("sendMessage"))

        await redis_proc.stop()
        caplog.clear()
        caplog.set_level(logging.INFO)
        queries_before = set(play.emulator.callback_queries)
        bob = play.user("Bob", language_code="en")
        await alice.send("/start")
        await alice.click(buttons_before[0])
        await alice.send("молоко")
        await alice.click(buttons_before[-1])
        await bob.send("/start")
        await alice.share_contact()
        outage = list(caplog.records)

        # every message got the notice in its sender's language, every callback an answer
        notices = [c.params for c in play.calls("sendMessage")[sent_before:]]
        assert [(n["chat_id"], n["text"]) for n in notices] == [
            (alice.chat.id, UNAVAILABLE), (alice.chat.id, UNAVAILABLE),
            (bob.chat.id, UNAVAILABLE_EN),
            (alice.chat.id, UNAVAILABLE)]
        clicks = [q for qid, q in play.emulator.callback_queries.items()
                  if qid not in queries_before]
        assert len(clicks) == 2
        assert [q.answer.text if q.answer else None for q in clicks] == [UNAVAILABLE] * 2
        assert play.rejected_calls() == []

        # one warning line for the whole outage, no traceback, no error
        assert [r for r in outage if r.exc_info or r.levelno >= logging.ERROR] == []
        warnings = [r.getMessage() for r in outage if r.levelno == logging.WARNING]
        assert len([w for w in warnings if "Redis" in w]) == 1, warnings

        caplog.clear()
        await redis_proc.start()
        assert await _snapshot(redis_proc.url, alice) == (cart, state), "nothing was lost"
        # back to normal: the screen from before the outage still works, the cart is there
        await alice.click("🛒 Корзина")
        screen = [m for m in alice.messages if m.inline_buttons][-1]
        assert item.name in (screen.text or "")
        labels = [b.text for row in screen.inline_buttons for b in row]
        lines = [b for b in labels if b.startswith(f"{item.name} — ")]
        assert len(lines) == 1, labels
        assert lines[0].startswith(f"{item.name} — 1")
        await bob.send("/start")
        assert bob.last.text != UNAVAILABLE_EN
        assert bob.buttons(), "Bob gets the menu"
        back = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and "Redis" in r.getMessage()]
        assert len(back) == 1, back
        assert "back" in back[0]
        assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


async def test_the_state_storage_of_a_redis_gone_away_raises_the_typed_storage_error(
    redis_proc: RedisProcess,
) -> None:
    """Reading dialog state or taking the update lock from a Redis that has gone away raises the
    engine's StorageUnavailable (a ServiceUnavailable naming Redis), not redis' ConnectionError."""
    bundle = await create_storage(redis_proc.url)
    await redis_proc.stop()
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    try:
        with pytest.raises(StorageUnavailable) as raised:
            await bundle.fsm.get_state(key)
        assert isinstance(raised.value, ServiceUnavailable)
        assert raised.value.service == "Redis"
        with pytest.raises(StorageUnavailable):
            async with bundle.isolation.lock(key):
                pass
    finally:
        await bundle.close()
