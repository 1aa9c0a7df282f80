"""Client-side throttling for REGOS: a token bucket per connected integration plus a cooldown.

REGOS allows a bucket of 2 requests/s with a burst of 50 per ``connected_integration_id`` and
answers ErrorResult 8213 (or HTTP 429) beyond it. Every worker process must draw from one
budget, so :class:`RedisTokenBucket` keeps the bucket in Redis and updates it with one Lua
script (atomic across processes). When REGOS says "rate limited" anyway, :meth:`penalize`
starts a cooldown that every process honours before its next request.

:class:`MemoryTokenBucket` is the same bucket in process memory: for one process, for tests,
and as the fallback while Redis is unreachable (each process then has its own budget).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["MemoryTokenBucket", "RateLimiter", "RedisTokenBucket"]

log = logging.getLogger("actions.regos.ratelimit")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_RATE = 2.0
DEFAULT_BURST = 50


class RateLimiter(Protocol):
    async def acquire(self) -> None:
        """Wait until one request may be sent, then take its token."""

    async def penalize(self, seconds: float) -> None:
        """REGOS refused for rate: nobody sends anything for ``seconds``."""


class MemoryTokenBucket:
    """A token bucket in process memory; the clock and the sleep are injectable for tests."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST, *,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._cooldown_until = -math.inf

    def try_acquire(self) -> float:
        """Take a token and return 0, or return how many seconds to wait before trying again."""
        now = self._clock()
        if now < self._cooldown_until:
            return self._cooldown_until - now
        if now > self._stamp:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            await self._sleep(wait)

    def penalize_now(self, seconds: float) -> None:
        if seconds > 0:
            self._cooldown_until = max(self._cooldown_until, self._clock() + seconds)

    async def penalize(self, seconds: float) -> None:
        self.penalize_now(seconds)

    @property
    def tokens(self) -> float:
        """Tokens left right now (for diagnostics and tests)."""
        elapsed = max(0.0, self._clock() - self._stamp)
        return min(float(self.burst), self._tokens + elapsed * self.rate)


# KEYS[1] bucket hash {tokens, ts}; KEYS[2] cooldown (absolute "until" time).
# ARGV: rate, burst, now ('' = Redis server TIME), bucket ttl in ms.
# Returns the wait in seconds as a string ("0" = a token was taken): Lua numbers would be
# truncated to integers in the Redis reply.
_ACQUIRE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[3])
end
local cooldown = tonumber(redis.call('GET', KEYS[2]) or '')
if cooldown and cooldown > now then
  return tostring(cooldown - now)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return tostring(wait)
"""

# KEYS[1] cooldown; ARGV: seconds, now ('' = server TIME). Only ever extends the cooldown.
_PENALIZE = """
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[2])
end
local seconds = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '')
local untill = now + seconds
if current == nil or current < untill then
  redis.call('SET', KEYS[1], tostring(untill), 'PX', math.ceil(seconds * 1000) + 1000)
end
return tostring(untill)
"""


class RedisTokenBucket:
    """The bucket in Redis, shared by every process using the same ``connected_integration_id``.

    Time comes from the Redis server (``TIME``) unless a ``clock`` is passed, so processes on
    hosts with skewed clocks still agree. While Redis fails, requests are paced by a process
    memory bucket (warned once per outage) and Redis is tried again after ``recheck_after``
    seconds.
    """

    def __init__(self, redis: Redis, connected_integration_id: str, *, rate: float = DEFAULT_RATE,
                 burst: int = DEFAULT_BURST, prefix: str = "regos:rl", clock: Clock | None = None,
                 sleep: Sleep = asyncio.sleep, fallback: MemoryTokenBucket | None = None,
                 recheck_after: float = 5.0) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        # A hash tag keeps both keys in one Redis Cluster slot (the script touches both).
        self.bucket_key = f"{prefix}:{{{connected_integration_id}}}:bucket"
        self.cooldown_key = f"{prefix}:{{{connected_integration_id}}}:cooldown"
        self._redis = redis
        self._clock = clock
        self._sleep = sleep
        self._monotonic = time.monotonic
        self.fallback = fallback or MemoryTokenBucket(rate, burst, clock=clock or time.monotonic,
                                                      sleep=sleep)
        self._recheck_after = recheck_after
        self._down_until = -math.inf
        self.degraded = False
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._penalize_script = redis.register_script(_PENALIZE)
        self._ttl_ms = math.ceil(burst / rate * 1000) + 1000

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def _redis_usable(self) -> bool:
        return self._monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        if not self.degraded:
            log.warning("Redis unavailable for the REGOS rate limiter (%s): pacing in process memory",
                        exc)
        self.degraded = True
        self._down_until = self._monotonic() + self._recheck_after

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("Redis is back for the REGOS rate limiter")
        self.degraded = False

    async def try_acquire(self) -> float:
        """Take a token and return 0, or return the seconds to wait before trying again."""
        if self._redis_usable():
            try:
                raw = await self._acquire_script(
                    keys=[self.bucket_key, self.cooldown_key],
                    args=[repr(self.rate), str(self.burst), self._now_arg(), str(self._ttl_ms)])
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._recovered()
                return float(raw.decode() if isinstance(raw, bytes) else raw)
        return self.fallback.try_acquire()

    async def acquire(self) -> None:
        while (wait := await self.try_acquire()) > 0:
            await self._sleep(wait)

    async def penalize(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.fallback.penalize_now(seconds)
        if not self._redis_usable():
            return
        try:
            await self._penalize_script(keys=[self.cooldown_key], args=[repr(seconds), self._now_arg()])
        except (RedisError, OSError) as exc:
            self._failed(exc)
        else:
            self._recovered()
