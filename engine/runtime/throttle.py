"""One person's flood of updates is dropped before it reaches the dialogs; others never notice.

A token bucket per user (``THROTTLE_RATE`` updates a second after a burst of ``THROTTLE_BURST``;
defaults 3 and 20, far above what a person clicks and types; ``THROTTLE_RATE=0`` turns it off).
An update over the limit is not handled: a button press is answered with the ``engine.too_fast``
toast (a pressed button must be answered, or its spinner turns), and the first message of a
flood gets ``engine.too_fast`` once; the rest of that flood is dropped in silence. The answer
goes through the one run-time error handler (:class:`~engine.errors.TooFast`). A flood is logged
once, when it starts. Buckets live in process memory: each ``serve`` process throttles what it
receives, so N processes let N times as much through (still bounded).

aiogram ships no throttling (its documentation shows a middleware over a TTL cache as an example);
this is that middleware, with a bucket instead of a one-update-per-interval rule so that a
person's quick double click passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram.types import TelegramObject, Update, User

from engine.errors import ConfigError, TooFast

__all__ = ["Throttle"]

log = logging.getLogger("engine.throttle")
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_FORGET_AFTER = 50_000  # people remembered before the idle ones are dropped


class _Bucket:
    __slots__ = ("flooding", "tokens", "updated")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens, self.updated, self.flooding = burst, now, False


class Throttle:
    """An update outer middleware (after the dedupe, before anything that works)."""

    def __init__(self, rate: float = 3.0, burst: int = 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self._people: dict[int, _Bucket] = {}
        self.dropped = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Throttle | None:
        """``THROTTLE_RATE`` (updates/s, 0: off) and ``THROTTLE_BURST``; None when off."""
        try:
            rate = float(environ.get("THROTTLE_RATE") or 3)
            burst = int(environ.get("THROTTLE_BURST") or 20)
        except ValueError:
            raise ConfigError("THROTTLE_RATE must be a number and THROTTLE_BURST a whole number "
                              "(THROTTLE_RATE=0 turns throttling off)") from None
        if rate < 0 or burst < 1:
            raise ConfigError("THROTTLE_RATE must be 0 or more and THROTTLE_BURST 1 or more")
        return cls(rate, burst) if rate > 0 else None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if not isinstance(user, User) or user.is_bot or self.allow(user.id):
            return await handler(event, data)
        self.dropped += 1
        bucket = self._people[user.id]
        first = not bucket.flooding
        bucket.flooding = True
        if first:
            log.warning("user %s sends faster than %g updates/s: their updates are dropped until "
                        "they slow down", user.id, self.rate)
        is_press = isinstance(event, Update) and event.callback_query is not None
        if first or is_press:
            raise TooFast(f"update from user {user.id} over the limit")
        return None

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        bucket = self._people.get(user_id)
        if bucket is None:
            if len(self._people) >= _FORGET_AFTER:
                self._forget_idle(now)
            bucket = self._people[user_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.flooding = False
            return True
        return False

    def _forget_idle(self, now: float) -> None:
        full = [uid for uid, b in self._people.items()
                if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for uid in full:
            del self._people[uid]
