"""Per-bot update queue: getUpdates with offset confirmation, limit and long polling.

Waiting uses futures created in the running loop at wait time, so one queue works across event
loops (pytest gives each test its own loop) and never binds at import or construction time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

JsonDict = dict[str, Any]

# Update kinds delivered when allowed_updates is empty or was never set.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
GET_UPDATES_LIMIT_MAX = 100


@dataclass(slots=True, eq=False)
class QueuedUpdate:
    """An update created for a bot, with when it was delivered and confirmed."""

    update_id: int
    kind: str
    payload: JsonDict
    created_at: float
    deliveries: int = 0
    confirmed_at: float | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class Waiters:
    """A set of futures to wake together: a loop-agnostic ``asyncio.Event`` without state."""

    def __init__(self) -> None:
        self._futures: set[asyncio.Future[None]] = set()

    async def wait(self, timeout: float) -> bool:
        """Wait for :meth:`notify_all` up to ``timeout`` seconds; True if woken."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures.add(future)
        try:
            await asyncio.wait_for(future, max(timeout, 0.0))
        except TimeoutError:
            return False
        finally:
            self._futures.discard(future)
        return True

    def notify_all(self) -> None:
        for future in list(self._futures):
            if not future.done() and not future.get_loop().is_closed():
                future.get_loop().call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class UpdateQueue:
    """Pending updates of one bot and the state of its getUpdates calls."""

    def __init__(self, clock: Callable[[], float], on_confirm: Callable[[QueuedUpdate], None]):
        self._clock = clock
        self._on_confirm = on_confirm
        self.pending: list[QueuedUpdate] = []
        self.allowed_updates: list[str] = []
        self._arrivals = Waiters()
        self._poll_generation = 0
        self._interrupts = 0

    def allows(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_DEFAULT_UPDATES

    def push(self, update: QueuedUpdate) -> bool:
        """Queue an update unless allowed_updates excludes its kind; True if queued."""
        if not self.allows(update.kind):
            return False
        self.pending.append(update)
        self._arrivals.notify_all()
        return True

    def confirm_below(self, offset: int) -> None:
        """Forget every update with ``update_id < offset`` (a negative offset keeps the last N)."""
        if offset < 0:
            confirmed = self.pending[:offset] if -offset < len(self.pending) else []
        else:
            confirmed = [u for u in self.pending if u.update_id < offset]
        self._confirm(confirmed)

    def drop_all(self) -> None:
        """deleteWebhook/setWebhook with drop_pending_updates."""
        self._confirm(list(self.pending))

    def take(self, limit: int = GET_UPDATES_LIMIT_MAX) -> list[QueuedUpdate]:
        """Deliver (without confirming) up to ``limit`` pending updates."""
        batch = self.pending[:limit]
        for update in batch:
            update.deliveries += 1
        return batch

    async def wait_for_updates(self, timeout: float) -> None:
        """Return when an update is pending, or after ``timeout`` seconds (webhook delivery)."""
        if not self.pending:
            await self._arrivals.wait(timeout)

    def _confirm(self, updates: Iterable[QueuedUpdate]) -> None:
        gone = set()
        for update in updates:
            update.confirmed_at = self._clock()
            gone.add(update.update_id)
            self._on_confirm(update)
        if gone:
            self.pending = [u for u in self.pending if u.update_id not in gone]

    def interrupt(self) -> None:
        """Make every waiting long poll return at once (used when the server stops)."""
        self._interrupts += 1
        self._arrivals.notify_all()

    async def poll(
        self,
        offset: int | None,
        limit: int,
        timeout: float,
        allowed_updates: list[str] | None,
    ) -> list[QueuedUpdate]:
        """getUpdates: confirm below ``offset``, then wait up to ``timeout`` for updates.

        A newer poll terminates an older one that is still waiting (409, as Telegram does).
        """
        if offset is not None:
            self.confirm_below(offset)
        if allowed_updates is not None:
            self.allowed_updates = list(allowed_updates)
        self._poll_generation += 1
        generation = self._poll_generation
        interrupts = self._interrupts
        self._arrivals.notify_all()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.pending and interrupts == self._interrupts:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._arrivals.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_OTHER_POLL)
        return self.take(limit)
