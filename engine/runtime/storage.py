"""Storage behind one interface: FSM state for aiogram(-dialog) and a key-value store with TTLs.

Redis when ``REDIS_URL`` answers; process memory otherwise (with a warning). The memory FSM
storage round-trips every value through JSON, so state that Redis could not hold fails in tests
and in the terminal chat exactly as it would in production. :class:`FallbackKV` keeps working
on process memory when Redis goes away mid-run and returns to Redis when it is back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["FallbackKV", "JsonMemoryStorage", "KeyValueStore", "MemoryKV", "RedisKV",
           "StorageBundle", "create_storage"]

log = logging.getLogger("engine.storage")


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


class FallbackKV:
    """Redis first; process memory while Redis is unreachable (warned once per outage)."""

    def __init__(self, primary: RedisKV, fallback: MemoryKV | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryKV()
        self.degraded = False

    async def _call(self, name: str, *args: Any) -> Any:
        try:
            result = await getattr(self.primary, name)(*args)
        except (RedisError, OSError) as exc:
            if not self.degraded:
                log.warning("Redis unavailable (%s); using process memory", exc)
            self.degraded = True
            return await getattr(self.fallback, name)(*args)
        if self.degraded:
            log.warning("Redis is back")
            self.degraded = False
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


@dataclass
class StorageBundle:
    fsm: BaseStorage
    isolation: BaseEventIsolation
    kv: KeyValueStore
    redis: Redis | None

    async def close(self) -> None:
        await self.isolation.close()
        await self.fsm.close()  # RedisStorage closes the shared Redis connection too


async def create_storage(redis_url: str | None, *, state_ttl: int = 30 * 24 * 3600) -> StorageBundle:
    """Redis when the URL is set and answers PING within 2 s; process memory otherwise."""
    if redis_url:
        redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        try:
            await redis.ping()
        except (RedisError, OSError) as exc:
            log.warning("REDIS_URL does not answer (%s): using process memory", exc)
            await redis.aclose()
        else:
            builder = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
            return StorageBundle(
                fsm=RedisStorage(redis, key_builder=builder, state_ttl=state_ttl,
                                 data_ttl=state_ttl),
                isolation=RedisEventIsolation(redis, key_builder=builder),
                kv=FallbackKV(RedisKV(redis)),
                redis=redis,
            )
    else:
        log.warning("REDIS_URL is not set: state lives in process memory and is lost on restart")
    return StorageBundle(JsonMemoryStorage(), SimpleEventIsolation(), MemoryKV(), None)
