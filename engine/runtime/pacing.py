"""Outgoing limits: one bot's calls to Telegram paced as Telegram asks, 429s waited out.

:class:`Pacing` is a Bot *session* middleware (aiogram's :class:`BaseRequestMiddleware`), so it
sees every call the bot makes: the engine's :class:`~engine.runtime.sender.Sender` and
aiogram-dialog's own message manager alike. aiogram itself offers the hook and the typed
:class:`~aiogram.exceptions.TelegramRetryAfter` (with ``retry_after``), but no pacing or retry of
its own: this module is that part. What it does:

* **429**: a call answered ``Too Many Requests: retry after N`` is retried after ``N`` seconds, at
  most ``Limits.retries`` times and never for a wait over ``Limits.max_retry_after``; beyond that
  the :class:`TelegramRetryAfter` reaches the caller (the engine's error handling tells the user).
* **per chat**: messages and edits to one chat go out in order, about 1 a second (a burst of
  ``private_burst`` first) in a private chat and 20 a minute in a group (chat id below 0);
* **per bot**: about 30 a second in all (``global_rate``);
* **priority**: calls made while handling a user's update are *interactive*; calls made inside
  :func:`notifications` (background jobs such as SLA reminders, status notices of an integration)
  wait for the bot's budget until no interactive call is waiting. One chat's backlog holds up
  only that chat.

Other calls (button answers, webhooks, getMe, deletions, files) pass unpaced. The limits hold per
process: two ``serve`` processes each pace their own calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from engine.errors import ConfigError

__all__ = ["Limits", "Pacing", "is_notification", "notifications"]

log = logging.getLogger("engine.pacing")
_NOTIFICATION: ContextVar[bool] = ContextVar("engine_notification", default=False)
_PACED_PREFIXES = ("send", "copy", "forward", "edit")
_UNPACED = frozenset({"sendChatAction"})
_FORGET_AFTER = 10_000  # chats remembered before idle ones are dropped


@contextlib.contextmanager
def notifications() -> Iterator[None]:
    """Calls made inside (and in tasks created inside) are notifications: they yield the bot's
    budget to interactive answers."""
    token = _NOTIFICATION.set(True)
    try:
        yield
    finally:
        _NOTIFICATION.reset(token)


def is_notification() -> bool:
    return _NOTIFICATION.get()


@dataclass(frozen=True)
class Limits:
    """Rates in calls per second; a burst is how many may go at once after a quiet spell."""

    private_rate: float = 1.0
    private_burst: int = 3
    group_rate: float = 20 / 60
    group_burst: int = 20
    global_rate: float = 30.0
    global_burst: int = 30
    retries: int = 3
    max_retry_after: float = 60.0


class _Bucket:
    """A token bucket that may go below zero: a taken token is a reserved slot."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.updated = float(burst), now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def delay(self, now: float) -> float:
        """Seconds until a token is there (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def reserve(self, now: float) -> float:
        """Take a token (maybe one still to come); seconds to wait for it."""
        wait = self.delay(now)
        self.tokens -= 1
        return wait

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


class _Chat:
    def __init__(self, bucket: _Bucket) -> None:
        self.bucket, self.lock = bucket, asyncio.Lock()


class Pacing(BaseRequestMiddleware):
    """One bot's outgoing limits (register it once on the bot's session)."""

    def __init__(self, limits: Limits | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 paced: bool = True) -> None:
        self.limits = limits or Limits()
        self.paced = paced  # False: 429s are still waited out, nothing else waits
        self.clock, self.sleep = clock, sleep
        self._global = _Bucket(self.limits.global_rate, self.limits.global_burst, clock())
        self._chats: dict[int | str, _Chat] = {}
        self._interactive_waiting = 0
        self._no_interactive = asyncio.Event()
        self._no_interactive.set()
        self._background = asyncio.Lock()  # notifications take the budget one at a time

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        name = method.__api_method__
        chat_id = getattr(method, "chat_id", None)
        if not self.paced or name in _UNPACED or not name.startswith(_PACED_PREFIXES) \
                or not isinstance(chat_id, int | str):
            return await self._with_retries(make_request, bot, method)
        chat = self._chat(chat_id)
        async with chat.lock:  # one chat's calls in order; other chats never wait for them
            await self.sleep_for(chat.bucket.reserve(self.clock()))
            await self._take_budget()
            return await self._with_retries(make_request, bot, method)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Pacing:
        """``TELEGRAM_PACING``: ``on`` (the default) or ``off``. Off is for benchmarks against
        the Bot API emulator, which sets no limits: Telegram would answer 429s."""
        raw = environ.get("TELEGRAM_PACING", "on").strip().lower() or "on"
        if raw not in ("on", "off"):
            raise ConfigError(f"TELEGRAM_PACING must be on or off, not {raw!r}")
        return cls(paced=raw == "on")

    async def sleep_for(self, seconds: float) -> None:
        if seconds > 0:
            await self.sleep(seconds)

    def _chat(self, chat_id: int | str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _FORGET_AFTER:
                self._forget_idle()
            group = isinstance(chat_id, str) or chat_id < 0
            limits = self.limits
            bucket = _Bucket(limits.group_rate if group else limits.private_rate,
                             limits.group_burst if group else limits.private_burst, self.clock())
            chat = self._chats[chat_id] = _Chat(bucket)
        return chat

    def _forget_idle(self) -> None:
        now = self.clock()
        for key in [k for k, c in self._chats.items() if not c.lock.locked() and c.bucket.full(now)]:
            del self._chats[key]

    async def _take_budget(self) -> None:
        """The bot's budget: an interactive call reserves its slot at once; a notification waits
        until no interactive call is waiting and a slot is free now."""
        if not is_notification():
            self._interactive_waiting += 1
            self._no_interactive.clear()
            try:
                await self.sleep_for(self._global.reserve(self.clock()))
            finally:
                self._interactive_waiting -= 1
                if self._interactive_waiting == 0:
                    self._no_interactive.set()
            return
        async with self._background:
            while True:
                if self._interactive_waiting:
                    await self._no_interactive.wait()
                    continue
                wait = self._global.delay(self.clock())
                if wait <= 0:
                    self._global.reserve(self.clock())
                    return
                await self.sleep(wait)

    async def _with_retries(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                            method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                if attempt > self.limits.retries or exc.retry_after > self.limits.max_retry_after:
                    log.warning("Telegram: %s refused with retry after %s s; giving up after %d "
                                "attempt(s)", method.__api_method__, exc.retry_after, attempt)
                    raise
                log.warning("Telegram: %s refused with retry after %s s; retrying (%d of %d)",
                            method.__api_method__, exc.retry_after, attempt, self.limits.retries)
                await self.sleep_for(exc.retry_after)
