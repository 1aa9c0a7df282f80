"""Storage behind one interface: FSM state for aiogram(-dialog) and a key-value store with TTLs.

Redis when ``REDIS_URL`` answers; process memory otherwise (with a warning). The memory FSM
storage round-trips every value through JSON, so state that Redis could not hold fails in tests
and in the terminal chat exactly as it would in production.

When Redis goes away mid-run: :class:`FallbackKV` keeps working on process memory; the dialog
state and the update lock (which cannot be faked without losing what Redis holds) raise
:class:`~engine.errors.StorageUnavailable`, which :mod:`engine.runtime.errors` answers with
"try again in a minute". :class:`RedisHealth` logs one warning when Redis stops answering and one
when it is back, whichever of them noticed; redis-py reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DEFAULT_REDIS_LOCK_KWARGS, RedisEventIsolation, RedisStorage
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.errors import StorageUnavailable

__all__ = ["FallbackKV", "GuardedRedisIsolation", "GuardedRedisStorage", "JsonMemoryStorage",
           "KeyValueStore", "MemoryKV", "RedisHealth", "RedisKV", "StorageBundle",
           "create_storage"]

log = logging.getLogger("engine.storage")
T = TypeVar("T")
#: what "Redis does not answer" looks like (refused, reset, timed out, still loading its data)
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...
    async def set_nx(self, key: str, value: str, ttl: float | None = None) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl: float | None = None) -> int: ...


class MemoryKV:
    """Process-memory key-value store with TTLs (monotonic clock, injectable)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._clock = clock

    def _alive(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] <= self._clock():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> str | None:
        item = self._alive(key)
        return item[0] if item else None

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._data[key] = (value, self._clock() + ttl if ttl else None)

    async def set_nx(self, key: str, value: str, ttl: float | None = None) -> bool:
        if self._alive(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl: float | None = None) -> int:
        item = self._alive(key)
        value = int(item[0]) + 1 if item else 1
        expires = item[1] if item else (self._clock() + ttl if ttl else None)
        self._data[key] = (str(value), expires)
        return value


class RedisKV:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, key: str) -> str | None:
        value = await self.redis.get(key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self.redis.set(key, value, px=int(ttl * 1000) if ttl else None)

    async def set_nx(self, key: str, value: str, ttl: float | None = None) -> bool:
        return bool(await self.redis.set(key, value, px=int(ttl * 1000) if ttl else None, nx=True))

    async def delete(self, key: str) -> None:
        await self.redis.delete(key)

    async def incr(self, key: str, ttl: float | None = None) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            if ttl:
                pipe.pexpire(key, int(ttl * 1000), nx=True)
            result = await pipe.execute()
        return int(result[0])


class RedisHealth:
    """Whether Redis answered the last call made to it; one warning line when it stops
    answering, one when it is back (shared by the key-value store and the dialog state)."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning("Redis is unavailable (%s): users are asked to try again in a minute, "
                        "key-value data is kept in process memory until Redis is back", exc)
        self.down = True

    def answered(self) -> None:
        if self.down:
            log.warning("Redis is back")
        self.down = False

    async def call(self, operation: Awaitable[T]) -> T:
        """Await a Redis operation; an outage becomes :class:`StorageUnavailable`."""
        try:
            result = await operation
        except OUTAGE_ERRORS as exc:
            self.failed(exc)
            raise StorageUnavailable(f"Redis does not answer: {exc}") from exc
        self.answered()
        return result


class FallbackKV:
    """Redis first; process memory while Redis is unreachable (warned once per outage)."""

    def __init__(self, primary: RedisKV, fallback: MemoryKV | None = None,
                 health: RedisHealth | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryKV()
        self.health = health or RedisHealth()

    @property
    def degraded(self) -> bool:
        return self.health.down

    async def _call(self, name: str, *args: Any) -> Any:
        try:
            result = await getattr(self.primary, name)(*args)
        except (RedisError, OSError) as exc:
            self.health.failed(exc)
            return await getattr(self.fallback, name)(*args)
        self.health.answered()
        return result

    async def get(self, key: str) -> str | None:
        return await self._call("get", key)  # type: ignore[no-any-return]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._call("set", key, value, ttl)

    async def set_nx(self, key: str, value: str, ttl: float | None = None) -> bool:
        return await self._call("set_nx", key, value, ttl)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def incr(self, key: str, ttl: float | None = None) -> int:
        return await self._call("incr", key, ttl)  # type: ignore[no-any-return]


class JsonMemoryStorage(MemoryStorage):
    """aiogram's MemoryStorage that stores a JSON copy: what Redis cannot hold fails here too."""

    async def set_data(self, key: Any, data: Any) -> None:
        await super().set_data(key, json.loads(json.dumps(data)))

    async def get_data(self, key: Any) -> dict[str, Any]:
        return json.loads(json.dumps(await super().get_data(key)))  # type: ignore[no-any-return]


class GuardedRedisStorage(RedisStorage):
    """aiogram's RedisStorage whose outage is :class:`StorageUnavailable` (dialog state cannot
    fall back to memory: a fresh empty state would overwrite the real one when Redis is back)."""

    def __init__(self, redis: Redis, health: RedisHealth, **kwargs: Any) -> None:
        super().__init__(redis, **kwargs)
        self.health = health

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.health.call(super().set_state(key, state))

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.health.call(super().get_state(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.health.call(super().set_data(key, data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.health.call(super().get_data(key))


#: how often a chat's update waiting for the chat's lock asks Redis again (seconds)
LOCK_POLL = 0.005
#: Redis connections one bot's storage may hold at once, and how long an update waits for one
MAX_CONNECTIONS = 100
POOL_WAIT = 10.0


class LocalLocks:
    """One :class:`asyncio.Lock` per lock name, kept while an update of this process holds or
    waits for it: a chat's updates queue in this process in arrival order and wake the moment
    the previous one is done, instead of asking Redis every :data:`LOCK_POLL` seconds."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncGenerator[None, None]:
        lock, users = self._locks.get(name, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield None
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class GuardedRedisIsolation(RedisEventIsolation):
    """aiogram's per-chat Redis lock whose outage (taking or releasing it) is
    :class:`StorageUnavailable`; what the handler inside raises passes through untouched.

    Updates of one process take the lock's name in process first (:class:`LocalLocks`), so
    Redis is polled only when another process holds it."""

    def __init__(self, redis: Redis, health: RedisHealth, key_builder: KeyBuilder) -> None:
        # redis-py polls a lock another update holds every 0.1 s by default: a chat's next
        # update, arriving while the previous one saves its state, waited ~100 ms (bench.e2e
        # with Redis, 10 customers: p50 108 ms, every lock contended); 5 ms costs a few more
        # Redis round trips only while a chat's updates overlap
        super().__init__(redis, key_builder=key_builder,
                         lock_kwargs={**DEFAULT_REDIS_LOCK_KWARGS, "sleep": LOCK_POLL})
        self.health = health
        self.local = LocalLocks()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        async with self.local.hold(name):
            lock = self.redis.lock(name=name, **self.lock_kwargs, lock_class=Lock)
            if not await self.health.call(lock.acquire()):
                raise LockError("Unable to acquire lock within the time specified")
            try:
                yield None
            finally:
                await self.health.call(lock.release())


@dataclass
class StorageBundle:
    fsm: BaseStorage
    isolation: BaseEventIsolation
    kv: KeyValueStore
    redis: Redis | None

    async def close(self) -> None:
        await self.isolation.close()
        await self.fsm.close()  # RedisStorage closes the shared Redis connection too


async def create_storage(redis_url: str | None, *, state_ttl: int = 30 * 24 * 3600,
                         max_connections: int = MAX_CONNECTIONS) -> StorageBundle:
    """Redis when the URL is set and answers PING within 2 s; process memory otherwise."""
    if redis_url:
        # a bounded pool that waits for a free connection: redis-py's default pool raises "Too
        # many connections" at 100 in use (200 customers at once: users told "try again", bench
        # steps lost); a wait over POOL_WAIT seconds is a Redis outage like any other
        pool = BlockingConnectionPool.from_url(redis_url, max_connections=max_connections,
                                               timeout=POOL_WAIT, socket_connect_timeout=2,
                                               socket_timeout=5)
        redis = Redis.from_pool(pool)
        try:
            await redis.ping()
        except (RedisError, OSError) as exc:
            log.warning("REDIS_URL does not answer (%s): using process memory", exc)
            await redis.aclose()
        else:
            builder = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
            health = RedisHealth()
            return StorageBundle(
                fsm=GuardedRedisStorage(redis, health, key_builder=builder,
                                        state_ttl=state_ttl, data_ttl=state_ttl),
                isolation=GuardedRedisIsolation(redis, health, builder),
                kv=FallbackKV(RedisKV(redis), health=health),
                redis=redis,
            )
    else:
        log.warning("REDIS_URL is not set: state lives in process memory and is lost on restart")
    return StorageBundle(JsonMemoryStorage(), SimpleEventIsolation(), MemoryKV(), None)
