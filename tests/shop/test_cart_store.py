"""The cart store on its own: process memory, a real redis-server, and Redis going away."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from actions.shop.cart_store import CartLine, CartStore, cart_key
from engine.runtime.storage import FallbackKV, KeyValueStore, MemoryKV, RedisKV

CI = "c98210addc4f4e1bb50b17a8c1299a37"
BREAD = CartLine(7, "Хлеб <белый>", Decimal("4500"), Decimal(2), True, "шт")
APPLES = CartLine(9, "Яблоки", Decimal("18000.50"), Decimal("1.5"), False, "кг")


@pytest.fixture(params=["memory", "redis"])
async def kv(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    if request.param == "memory":
        yield MemoryKV()
        return
    url = request.getfixturevalue("redis_server")
    redis = Redis.from_url(url)
    await redis.flushdb()
    try:
        yield RedisKV(redis)
    finally:
        await redis.aclose()


async def test_an_unknown_chat_has_an_empty_cart(kv: KeyValueStore) -> None:
    cart = await CartStore(kv, CI, ttl=60).get(1)
    assert cart.lines == ()
    assert cart.total == 0


async def test_adding_the_same_item_adds_up_and_keeps_decimals_exact(kv: KeyValueStore) -> None:
    store = CartStore(kv, CI, ttl=60)
    await store.add(1, BREAD)
    await store.add(1, APPLES)
    cart = await store.add(1, BREAD)
    assert [(line.item_id, line.qty) for line in cart.lines] == [(7, Decimal(4)), (9, Decimal("1.5"))]
    assert cart.total == Decimal("4500") * 4 + Decimal("18000.50") * Decimal("1.5")
    assert (await store.get(1)) == cart, "what was saved reads back the same"


async def test_quantities_change_lines_go_and_carts_are_per_chat(kv: KeyValueStore) -> None:
    store = CartStore(kv, CI, ttl=60)
    await store.add(1, BREAD)
    await store.add(2, APPLES)
    assert (await store.set_quantity(1, 7, Decimal(5))).line(7) == CartLine(7, BREAD.name, BREAD.price,
                                                                             Decimal(5), True, "шт")
    assert (await store.set_quantity(1, 7, Decimal(0))).lines == ()
    assert (await store.get(2)).count == 1
    await store.remove(2, 9)
    assert (await store.get(2)).lines == ()
    await store.add(3, BREAD)
    await store.clear(3)
    assert (await store.get(3)).lines == ()


async def test_a_cart_uses_the_documented_key_with_its_ttl_refreshed_on_change(redis_server: str) -> None:
    redis = Redis.from_url(redis_server)
    try:
        store = CartStore(RedisKV(redis), CI, ttl=1000)
        await store.add(42, BREAD)
        key = cart_key(CI, 42)
        assert key == f"clients:cart:telegram_bot_orders:{CI}:42"
        await redis.expire(key, 5)
        await store.add(42, APPLES)
        assert 990 < await redis.ttl(key) <= 1000
    finally:
        await redis.aclose()


async def test_an_unreadable_cart_reads_as_empty_instead_of_crashing() -> None:
    kv = MemoryKV()
    await kv.set(cart_key(CI, 1), "{not json")
    assert (await CartStore(kv, CI, ttl=60).get(1)).lines == ()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_redis_going_away_mid_run_falls_back_to_memory_without_crashing(redis_server: str) -> None:
    redis = Redis.from_url(redis_server)
    kv = FallbackKV(RedisKV(redis))
    store = CartStore(kv, CI, ttl=60)
    try:
        await store.add(1, BREAD)
        assert not kv.degraded
    finally:
        await redis.aclose()
    # the same store, now pointed at a Redis that does not answer
    kv.primary = RedisKV(Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0",
                                        socket_connect_timeout=0.2))
    try:
        cart = await store.add(1, APPLES)
        assert kv.degraded
        assert [line.item_id for line in cart.lines] == [9], "the outage cart starts in memory"
        assert (await store.get(1)).count == 1, "and keeps working while Redis is away"
    finally:
        await kv.primary.redis.aclose()
