"""The key-value store contract, on process memory and on a real redis-server; Redis FSM state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from engine.runtime.storage import FallbackKV, KeyValueStore, MemoryKV, RedisKV, create_storage
from engine.testing import Actor, Playground


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def kv(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    if request.param == "memory":
        yield MemoryKV()
        return
    url = request.getfixturevalue("redis_server")
    redis = Redis.from_url(url)
    await redis.flushdb()
    yield RedisKV(redis)
    await redis.aclose()


async def test_a_value_set_can_be_read_back(kv: KeyValueStore) -> None:
    await kv.set("k", "v")
    assert await kv.get("k") == "v"


async def test_a_missing_key_reads_as_none(kv: KeyValueStore) -> None:
    assert await kv.get("nope") is None


async def test_set_nx_only_sets_a_missing_key(kv: KeyValueStore) -> None:
    assert await kv.set_nx("lock", "a", 60) is True
    assert await kv.set_nx("lock", "b", 60) is False
    assert await kv.get("lock") == "a"


async def test_incr_counts_from_one(kv: KeyValueStore) -> None:
    assert await kv.incr("n", 60) == 1
    assert await kv.incr("n", 60) == 2


async def test_delete_removes_a_key(kv: KeyValueStore) -> None:
    await kv.set("k", "v")
    await kv.delete("k")
    assert await kv.get("k") is None


async def test_a_value_expires_after_its_ttl() -> None:
    clock = FakeClock()
    kv = MemoryKV(clock)
    await kv.set("k", "v", ttl=10)
    clock.now += 9.9
    assert await kv.get("k") == "v"
    clock.now += 0.2
    assert await kv.get("k") is None


async def test_redis_applies_the_ttl(redis_server: str) -> None:
    redis = Redis.from_url(redis_server)
    await RedisKV(redis).set("ttl-key", "v", ttl=30)
    assert 0 < await redis.pttl("ttl-key") <= 30_000
    await redis.aclose()


async def test_fallback_keeps_working_when_redis_is_gone() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    kv = FallbackKV(RedisKV(dead))
    await kv.set("k", "v")
    assert await kv.get("k") == "v"
    assert kv.degraded
    await dead.aclose()


async def test_an_unreachable_redis_url_falls_back_to_memory() -> None:
    bundle = await create_storage("redis://127.0.0.1:1/0")
    assert bundle.redis is None
    assert isinstance(bundle.kv, MemoryKV)
    await bundle.close()


async def test_dialog_state_lives_in_redis_and_survives_a_restart(
    redis_server: str, demo_path: Path
) -> None:
    async with Playground.open(demo_path, redis_url=redis_server) as play:
        alice = play.user("Alice")
        await alice.send("/start")
        await alice.click("☕ Напитки")
        emulator = play.emulator
        assert play.app.storage.redis is not None
    async with Playground.open(demo_path, redis_url=redis_server, emulator=emulator) as play2:
        # the same emulator: Alice's chat and the menu message are still there
        alice2 = Actor(play2, alice.account, alice.chat)
        await alice2.click("⬅️ Назад")
        assert "Здравствуйте" in (alice2.last.text or "")
        assert play2.rejected_calls() == []


async def test_more_updates_at_once_than_redis_connections_wait_for_one_instead_of_failing(
        redis_server: str) -> None:
    """redis-py's own pool raised "Too many connections" past its size: 200 customers at once saw
    "try again in a minute" and the store fell back to process memory. The pool now waits."""

    bundle = await create_storage(redis_server, max_connections=3)
    try:
        isolation = bundle.isolation
        key = StorageKey(bot_id=1, chat_id=7, user_id=7)

        async def update(n: int) -> None:
            async with isolation.lock(key):  # holds a connection while polling for the lock
                await bundle.kv.set(f"pool:{n}", str(n), 60)

        await asyncio.gather(*(update(n) for n in range(30)))
        assert bundle.redis is not None
        stored = await bundle.redis.mget([f"pool:{n}" for n in range(30)])
        assert stored == [str(n).encode() for n in range(30)], "every write reached Redis"
    finally:
        await bundle.close()


async def test_a_chats_updates_in_one_process_queue_in_arrival_order_asking_redis_once_each(
        redis_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """They used to poll Redis for the lock every 5 ms while the previous update held it, and
    whichever polled first went next."""
    attempts = 0
    real = Lock.do_acquire

    async def counted(self: Lock, token: str | bytes) -> bool:
        nonlocal attempts
        attempts += 1
        return await real(self, token)

    monkeypatch.setattr(Lock, "do_acquire", counted)
    bundle = await create_storage(redis_server)
    try:
        key = StorageKey(bot_id=1, chat_id=8, user_id=8)
        order: list[int] = []

        async def update(n: int) -> None:
            async with bundle.isolation.lock(key):
                order.append(n)
                await asyncio.sleep(0.02)

        await asyncio.gather(*(update(n) for n in range(10)))
        assert order == list(range(10))
        assert attempts == 10
        assert len(bundle.isolation.local) == 0  # type: ignore[attr-defined]  # nothing kept
    finally:
        await bundle.close()


async def test_the_chat_lock_still_excludes_another_process(redis_server: str) -> None:

    one, two = await create_storage(redis_server), await create_storage(redis_server)
    try:
        key = StorageKey(bot_id=1, chat_id=9, user_id=9)
        inside = most = 0

        async def update(n: int) -> None:
            nonlocal inside, most
            async with (one if n % 2 else two).isolation.lock(key):
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(update(n) for n in range(12)))
        assert most == 1
    finally:
        await one.close()
        await two.close()
