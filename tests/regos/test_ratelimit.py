"""The token bucket: in memory with a fake clock, in a real Redis shared by two "processes",
and the fall back to memory when Redis is unreachable. Nothing is measured in wall time."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from actions.regos.ratelimit import MemoryTokenBucket, RedisTokenBucket
from tests.regos.conftest import FakeTime


def test_memory_bucket_bursts_then_refills_two_per_second(fake_time: FakeTime) -> None:
    bucket = MemoryTokenBucket(clock=fake_time)
    assert [bucket.try_acquire() for _ in range(50)] == [0.0] * 50
    assert bucket.try_acquire() == pytest.approx(0.5)
    fake_time.now += 0.5
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(0.5)
    fake_time.now += 1.0
    assert [bucket.try_acquire() for _ in range(2)] == [0.0, 0.0]
    fake_time.now += 3600
    assert bucket.tokens == 50  # never more than the burst


async def test_acquire_waits_for_the_next_token(fake_time: FakeTime) -> None:
    bucket = MemoryTokenBucket(rate=2, burst=2, clock=fake_time, sleep=fake_time.sleep)
    for _ in range(4):
        await bucket.acquire()
    assert fake_time.sleeps == [pytest.approx(0.5), pytest.approx(0.5)]
    assert fake_time.now == pytest.approx(1001.0)


async def test_penalize_makes_everyone_wait(fake_time: FakeTime) -> None:
    bucket = MemoryTokenBucket(clock=fake_time, sleep=fake_time.sleep)
    await bucket.penalize(3)
    await bucket.penalize(1)  # a shorter penalty never shortens the cooldown
    assert bucket.try_acquire() == pytest.approx(3)
    await bucket.acquire()
    assert fake_time.now == pytest.approx(1003)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        MemoryTokenBucket(rate=0)


@pytest.fixture
async def redis(redis_server: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server)
    yield client
    await client.aclose()


async def test_two_processes_share_one_budget(redis: Redis, fake_time: FakeTime) -> None:
    ci = uuid.uuid4().hex
    first = RedisTokenBucket(redis, ci, burst=5, clock=fake_time)
    second = RedisTokenBucket(redis, ci, burst=5, clock=fake_time)
    waits = [await bucket.try_acquire() for bucket in (first, second, first, second, first)]
    assert waits == [0.0] * 5
    assert await second.try_acquire() == pytest.approx(0.5)
    assert await first.try_acquire() == pytest.approx(0.5)
    fake_time.now += 0.5
    assert await second.try_acquire() == 0.0
    other = RedisTokenBucket(redis, uuid.uuid4().hex, burst=5, clock=fake_time)
    assert await other.try_acquire() == 0.0  # another integration has its own bucket
    assert not first.degraded


async def test_a_penalty_is_seen_by_every_process(redis: Redis, fake_time: FakeTime) -> None:
    ci = uuid.uuid4().hex
    first = RedisTokenBucket(redis, ci, clock=fake_time, sleep=fake_time.sleep)
    second = RedisTokenBucket(redis, ci, clock=fake_time, sleep=fake_time.sleep)
    await first.penalize(4)
    assert await second.try_acquire() == pytest.approx(4)
    await second.acquire()
    assert fake_time.sleeps == [pytest.approx(4)]


async def test_the_redis_clock_is_used_by_default(redis: Redis) -> None:
    bucket = RedisTokenBucket(redis, uuid.uuid4().hex, burst=2)
    assert [await bucket.try_acquire() for _ in range(2)] == [0.0, 0.0]
    assert 0 < await bucket.try_acquire() <= 0.5
    assert await redis.ttl(bucket.bucket_key) > 0  # the bucket does not stay forever


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_redis_falls_back_to_memory(fake_time: FakeTime,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5,
                 retry=Retry(NoBackoff(), 0))
    try:
        bucket = RedisTokenBucket(dead, "ci", burst=3, clock=fake_time, sleep=fake_time.sleep)
        assert [await bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
        assert bucket.degraded
        assert await bucket.try_acquire() == pytest.approx(0.5)
        await bucket.penalize(2)  # kept in memory while Redis is away
        await bucket.acquire()
        assert fake_time.sleeps == [pytest.approx(2)]
        assert caplog.text.count("Redis unavailable") == 1  # warned once per outage
    finally:
        await dead.aclose()
