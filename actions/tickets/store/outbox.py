"""The transactional outbox: events written in the transaction that changed the ticket, sent later.

Writing (:func:`enqueue`) happens inside the store's own transactions, so an event exists exactly when its
state change was committed: a rolled-back take writes nothing, a crash after the commit loses nothing.
Reading (:class:`OutboxStore`) is the relay's side: it leases due rows (a conditional ``UPDATE`` per row,
so two relays never hold the same row at once), then marks each sent, due again later, or given up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .database import WRITE_OPTION
from .models import OutboxMessage
from .views import TicketView

__all__ = ["ARCHIVE", "EVENT_TYPES", "OutboxItem", "OutboxRouting", "OutboxStore", "enqueue",
           "ticket_payload"]

ARCHIVE: Final = "s3"  # the destination of "archive this report" rows
ARCHIVE_EVENT: Final = "report.archive"
EVENT_TYPES: Final = ("ticket.created", "ticket.taken", "ticket.done", "ticket.canceled")
ERROR_LENGTH: Final = 512


@dataclass(frozen=True)
class OutboxRouting:
    """Where events go: every ticket event to each webhook URL; delivered reports to the archive."""

    webhook_urls: tuple[str, ...] = ()
    archive: bool = False

    @property
    def active(self) -> bool:
        return bool(self.webhook_urls) or self.archive


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def ticket_payload(ticket: TicketView) -> dict[str, Any]:
    """The ticket as receivers see it (JSON): ids, VIN, state, people, and the moments of each state."""
    return {
        "id": ticket.id, "vin": ticket.vin, "status": ticket.status.value, "priority": ticket.priority,
        "channel": ticket.channel or "bot",
        "customer": {"user_id": ticket.customer_user_id, "chat_id": ticket.customer_chat_id,
                     "name": ticket.customer_name, "locale": ticket.customer_locale},
        "assignee": None if ticket.assignee_id is None else
        {"user_id": ticket.assignee_id, "name": ticket.assignee_name},
        "report_file_id": ticket.report_file_id,
        "created_at": _iso(ticket.created_at), "taken_at": _iso(ticket.taken_at),
        "done_at": _iso(ticket.done_at), "canceled_at": _iso(ticket.canceled_at),
    }


def _row(event_id: str, event_type: str, destination: str, ticket_id: int, payload: dict[str, Any],
         now: datetime) -> OutboxMessage:
    return OutboxMessage(event_id=event_id, event_type=event_type, destination=destination,
                         ticket_id=ticket_id, payload=json.dumps(payload, ensure_ascii=False),
                         created_at=now, attempts=0, next_attempt_at=now)


def enqueue(session: AsyncSession, routing: OutboxRouting, event_type: str, ticket: TicketView,
            now: datetime) -> int:
    """Add ``event_type`` about ``ticket`` for every webhook URL (one event id for all); rows written."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not routing.webhook_urls:
        return 0
    event_id = str(uuid.uuid4())
    body = {"id": event_id, "type": event_type, "created_at": _iso(now),
            "data": {"ticket": ticket_payload(ticket)}}
    session.add_all([_row(event_id, event_type, url, ticket.id, body, now) for url in routing.webhook_urls])
    session.info["outbox"] = True
    return len(routing.webhook_urls)


def enqueue_archive(session: AsyncSession, routing: OutboxRouting, ticket_id: int, delivery_id: int,
                    file_id: str, now: datetime) -> int:
    """Ask the relay to archive a delivered report (by its Telegram file id); rows written (0 or 1)."""
    if not routing.archive:
        return 0
    body = {"ticket_id": ticket_id, "delivery_id": delivery_id, "file_id": file_id}
    session.add(_row(str(uuid.uuid4()), ARCHIVE_EVENT, ARCHIVE, ticket_id, body, now))
    session.info["outbox"] = True
    return 1


@dataclass(frozen=True)
class OutboxItem:
    """A leased row: send it, then report back with its ``lock_token``."""

    id: int
    event_id: str
    event_type: str
    destination: str
    ticket_id: int
    payload: str
    attempts: int  # before this one
    lock_token: str


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    failed: int
    sent: int
    oldest_pending: datetime | None = None
    by_destination: dict[str, int] = field(default_factory=dict)


class OutboxStore:
    """The relay's view of the outbox table."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime]) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    async def _write(self, statement: Any) -> int:
        async with self._sessions() as session, session.begin():
            connection = await session.connection(execution_options={WRITE_OPTION: True})
            return int((await connection.execute(statement)).rowcount)

    async def lease(self, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Up to ``limit`` due rows (oldest first) that no live relay holds, leased for ``lease`` (one token
        for the batch; each row is still reported back on its own)."""
        now = self._now()
        free = (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until <= now)
        query = (select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None),
                                                OutboxMessage.failed_at.is_(None),
                                                OutboxMessage.next_attempt_at <= now, free)
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        async with self._sessions() as session:
            candidates: Sequence[int] = (await session.scalars(query)).all()
        if not candidates:
            return []
        token = str(uuid.uuid4())  # one conditional UPDATE leases the batch: rows another relay took
        await self._write(update(OutboxMessage).where(  # meanwhile no longer match ``free``
            OutboxMessage.id.in_(candidates), OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None), free,
        ).values(locked_until=now + lease, lock_token=token))
        async with self._sessions() as session:
            rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.lock_token == token)
                                          .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))).all()
            return [OutboxItem(row.id, row.event_id, row.event_type, row.destination, row.ticket_id,
                               row.payload, row.attempts, token) for row in rows]

    def _mine(self, item: OutboxItem) -> Any:
        return update(OutboxMessage).where(OutboxMessage.id == item.id,
                                           OutboxMessage.lock_token == item.lock_token,
                                           OutboxMessage.sent_at.is_(None))

    async def sent(self, item: OutboxItem) -> bool:
        """The destination accepted the row; false when our lease was lost (another relay has it)."""
        return bool(await self._write(self._mine(item).values(
            sent_at=self._now(), attempts=item.attempts + 1, locked_until=None, lock_token=None,
            last_error=None)))

    async def sent_many(self, items: Sequence[OutboxItem]) -> int:
        """Several rows of one lease accepted, in one statement; how many were still ours."""
        if not items:
            return 0
        by_token: dict[str, list[int]] = {}
        for item in items:
            by_token.setdefault(item.lock_token, []).append(item.id)
        done = 0
        for token, ids in by_token.items():
            done += await self._write(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.lock_token == token, OutboxMessage.sent_at.is_(None),
            ).values(sent_at=self._now(), attempts=OutboxMessage.attempts + 1, locked_until=None,
                     lock_token=None, last_error=None))
        return done

    async def retry(self, item: OutboxItem, error: str, delay: timedelta) -> bool:
        """This attempt failed: due again after ``delay``."""
        return bool(await self._write(self._mine(item).values(
            attempts=item.attempts + 1, next_attempt_at=self._now() + delay, locked_until=None,
            lock_token=None, last_error=error[:ERROR_LENGTH])))

    async def give_up(self, item: OutboxItem, error: str) -> bool:
        """No more attempts: the row stays, marked failed, for an operator to look at."""
        return bool(await self._write(self._mine(item).values(
            attempts=item.attempts + 1, failed_at=self._now(), locked_until=None, lock_token=None,
            last_error=error[:ERROR_LENGTH])))

    async def requeue_failed(self, event_id: str | None = None) -> int:
        """An operator's retry: rows given up (of ``event_id``, or all) are due again now, their attempts
        counted from zero; how many. The event ids stay the same."""
        statement = update(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))
        if event_id is not None:
            statement = statement.where(OutboxMessage.event_id == event_id)
        return await self._write(statement.values(
            failed_at=None, attempts=0, next_attempt_at=self._now(), locked_until=None, lock_token=None))

    async def counts(self) -> OutboxCounts:
        """Rows waiting (by destination kind: ``webhook`` or ``s3``), given up and sent."""
        pending = (OutboxMessage.sent_at.is_(None)) & (OutboxMessage.failed_at.is_(None))
        async with self._sessions() as session:
            by_type = (await session.execute(
                select(OutboxMessage.event_type, func.count()).where(pending)
                .group_by(OutboxMessage.event_type))).all()
            failed = (await session.execute(select(func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.failed_at.is_not(None)))).scalar_one()
            sent = (await session.execute(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.sent_at.is_not(None)))).scalar_one()
            oldest = await session.scalar(select(OutboxMessage.created_at).where(pending)
                                          .order_by(OutboxMessage.created_at).limit(1))
        kinds: dict[str, int] = {}
        for event_type, n in by_type:
            kind = ARCHIVE if event_type == ARCHIVE_EVENT else "webhook"
            kinds[kind] = kinds.get(kind, 0) + int(n)
        return OutboxCounts(pending=sum(kinds.values()), failed=int(failed), sent=int(sent),
                            oldest_pending=oldest, by_destination=kinds)
