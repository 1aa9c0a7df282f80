"""The outbox relay: sends what the store wrote to the outbox, retrying with exponential backoff.

Every row is leased before it is sent (a relay that dies loses its lease after ``lease``, and another
relay, in this process after a restart or in another one, sends the row again: at least once, always with
the same event id). An attempt that fails is due again after ``backoff(attempts)`` (5 s, 10 s, 20 s, ...
at most an hour, or the receiver's ``Retry-After`` when longer); after ``max_attempts`` the row is marked
failed and kept for an operator. The relay wakes up as soon as the store commits a new event, and looks
for due rows every ``poll`` seconds otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from actions.tickets.metrics import DeskMetrics
from actions.tickets.store import OutboxItem, OutboxStore
from actions.tickets.store.outbox import ARCHIVE
from actions.tickets.webhooks import DeliveryFailed

__all__ = ["Backoff", "Handler", "OutboxRelay"]

log = logging.getLogger("actions.tickets.outbox")
Handler = Callable[[OutboxItem], Awaitable[None]]
WEBHOOK: Final = "webhook"


@dataclass(frozen=True)
class Backoff:
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=1)

    def __call__(self, attempts: int) -> timedelta:
        """The pause after the ``attempts``-th failed attempt (1, 2, ...)."""
        pause: timedelta = min(self.base * (2 ** min(max(attempts - 1, 0), 30)), self.cap)
        return pause


def kind_of(item: OutboxItem) -> str:
    return ARCHIVE if item.destination == ARCHIVE else WEBHOOK


@dataclass
class OutboxRelay:
    outbox: OutboxStore
    handlers: Mapping[str, Handler]  # by kind: "webhook", "s3"
    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int = 20
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20
    poll: float = 5.0
    metrics: DeskMetrics | None = None
    on_idle: Callable[[], Awaitable[None]] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was written to the outbox: look now."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send every due row once (a batch at a time, concurrently); how many were attempted."""
        total = 0
        while items := await self.outbox.lease(self.batch, self.lease):
            results = await asyncio.gather(*(self._attempt(item) for item in items))
            accepted = [item for item, ok in zip(items, results, strict=True) if ok]
            if await self.outbox.sent_many(accepted) < len(accepted):
                log.warning("outbox: some rows were sent after their lease ran out")
            for item in accepted:
                self._count(kind_of(item), "sent")
            total += len(items)
            if len(items) < self.batch:
                break
        return total

    async def _attempt(self, item: OutboxItem) -> bool:
        """Send one row; true when accepted (marked sent with its batch), false when it failed
        (already marked for a retry or given up)."""
        kind = kind_of(item)
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise DeliveryFailed(f"no {kind} destination is configured now")
            await handler(item)
        except Exception as exc:
            await self._failed(item, kind, exc)
            return False
        return True

    async def _failed(self, item: OutboxItem, kind: str, exc: Exception) -> None:
        reason = str(exc) or type(exc).__name__
        attempts = item.attempts + 1
        permanent = isinstance(exc, DeliveryFailed) and exc.permanent
        if permanent or attempts >= self.max_attempts:
            await self.outbox.give_up(item, reason)
            self._count(kind, "failed")
            log.error("outbox: %s %s for ticket %s to %s given up after %d attempt(s): %s", item.event_type,
                      item.event_id, item.ticket_id, kind, attempts, reason)
            return
        delay = self.backoff(attempts)
        if isinstance(exc, DeliveryFailed) and exc.retry_after is not None:
            delay = max(delay, min(timedelta(seconds=exc.retry_after), self.backoff.cap))
        await self.outbox.retry(item, reason, delay)
        self._count(kind, "retry")
        log.warning("outbox: %s %s for ticket %s to %s failed (attempt %d), again in %s: %s",
                    item.event_type, item.event_id, item.ticket_id, kind, attempts, delay, reason)

    def _count(self, kind: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.attempt(kind, result)

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
                if self.on_idle is not None:
                    await self.on_idle()
            except Exception:  # the database is down: try again after the pause
                log.exception("outbox relay: a round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name="tickets-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
