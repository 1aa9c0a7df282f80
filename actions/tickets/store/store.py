"""The ticket store: every method is one short transaction and returns plain values.

State changes are conditional ``UPDATE``s whose affected-row count decides the outcome, so two managers
pressing "Take" at the same moment cannot both win, a customer cannot cancel a ticket a manager already
took, only the assignee can finish a ticket, only from TAKEN, and only one delivery of a ticket's report is
in flight at a time.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..vin import VIN_LENGTH, normalize_vin
from .base import utc_now, visible
from .database import advisory_lock, create_database_engine
from .delivery import DeliveryStore
from .models import CHANNEL_LENGTH, LOCALE_LENGTH, NAME_LENGTH, OPEN_STATUSES, Ticket, TicketStatus
from .outbox import OutboxRouting
from .panel import PanelStore
from .views import (
    CreateOutcome,
    CreateResult,
    ManagerStats,
    TicketView,
    TransitionCode,
    TransitionResult,
)

RATE_WINDOW: Final = timedelta(hours=1)


class TicketStore(PanelStore, DeliveryStore):
    """Tickets in a SQL database (SQLite or PostgreSQL through SQLAlchemy's asyncio extension).

    ``now`` is the clock (aware datetimes); tests pass a controllable one. ``routing``: where the outbox
    sends events (see :class:`StoreBase`). The schema is created by :func:`upgrade_database`, never by the
    store. Call :meth:`close` on shutdown.
    """

    # --- customers ---------------------------------------------------------------------------------

    async def create(self, vin: str, customer_user_id: int, customer_chat_id: int, customer_name: str,
                     *, max_per_hour: int, locale: str | None = None,
                     channel: str | None = None) -> CreateResult:
        """Open a NEW ticket, unless the customer already has an open one for ``vin`` (that one is
        returned) or opened ``max_per_hour`` tickets in the last hour. ``vin`` must be normalised;
        ``locale`` is the customer's language, kept on the ticket; ``channel`` where it was opened (None: the
        bot). Writes ``ticket.created``."""
        if len(vin) != VIN_LENGTH or normalize_vin(vin) != vin:
            raise ValueError(f"not a normalised {VIN_LENGTH}-character VIN: {vin!r}")
        if max_per_hour < 1:
            raise ValueError("max_per_hour must be at least 1")
        now = self._now()
        try:
            async with self._transaction(write=True) as session:
                connection = await session.connection()
                await connection.run_sync(advisory_lock, "tickets.create", customer_user_id)
                existing = await self._find_open(session, customer_user_id, vin)
                if existing is not None:
                    return CreateResult(CreateOutcome.DUPLICATE, existing)
                recent = (await session.scalars(
                    select(Ticket.created_at)
                    .where(Ticket.customer_user_id == customer_user_id, Ticket.created_at > now - RATE_WINDOW)
                    .order_by(Ticket.created_at))).all()
                if len(recent) >= max_per_hour:
                    retry_after = recent[len(recent) - max_per_hour] + RATE_WINDOW - now
                    return CreateResult(CreateOutcome.RATE_LIMITED, retry_after=retry_after)
                ticket = Ticket(vin=vin, customer_user_id=customer_user_id, customer_chat_id=customer_chat_id,
                                customer_name=customer_name[:NAME_LENGTH], status=TicketStatus.NEW,
                                priority=0, created_at=now, customer_locale=(locale or None) and
                                locale[:LOCALE_LENGTH], channel=(channel or None) and
                                channel[:CHANNEL_LENGTH])
                session.add(ticket)
                await session.flush()
                view = TicketView.of(ticket)
                self._emit(session, "ticket.created", view)
                return CreateResult(CreateOutcome.CREATED, view)
        except IntegrityError:
            # Another transaction opened the same customer + VIN first (the partial unique index).
            async with self._transaction(write=False) as session:
                existing = await self._find_open(session, customer_user_id, vin)
            if existing is None:
                raise
            return CreateResult(CreateOutcome.DUPLICATE, existing)

    async def _find_open(self, session: AsyncSession, customer_user_id: int, vin: str) -> TicketView | None:
        rows = await self._views(session, select(Ticket).where(
            Ticket.customer_user_id == customer_user_id, Ticket.vin == vin,
            Ticket.status.in_(OPEN_STATUSES), visible()).order_by(Ticket.id).limit(1))
        return rows[0] if rows else None

    async def customer_tickets(self, user_id: int, limit: int = 10) -> list[TicketView]:
        """The customer's tickets, newest first."""
        async with self._transaction(write=False) as session:
            return await self._views(session, select(Ticket)
                                     .where(Ticket.customer_user_id == user_id, visible())
                                     .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))

    async def cancel(self, ticket_id: int, customer_user_id: int) -> TransitionResult:
        """The owner withdraws a NEW ticket. Someone else's ticket is reported as not found."""
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.customer_user_id == customer_user_id,
                Ticket.status == TicketStatus.NEW, status=TicketStatus.CANCELED, canceled_at=self._now())
            ticket = await self._load(session, ticket_id)
            if changed:
                self._emit(session, "ticket.canceled", ticket)
        if changed:
            return TransitionResult(TransitionCode.OK, ticket)
        if ticket is None or ticket.customer_user_id != customer_user_id:
            return TransitionResult(TransitionCode.NOT_FOUND)
        return TransitionResult(TransitionCode.WRONG_STATUS, ticket)

    # --- managers ----------------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> TicketView | None:
        async with self._transaction(write=False) as session:
            return await self._load(session, ticket_id)

    async def by_card_message(self, message_id: int, *, chat_id: int | None = None) -> TicketView | None:
        """The ticket whose manager card is ``message_id`` (in ``chat_id`` when given)."""
        query = select(Ticket).where(Ticket.card_message_id == message_id, visible())
        if chat_id is not None:
            query = query.where(Ticket.card_chat_id == chat_id)
        async with self._transaction(write=False) as session:
            rows = await self._views(session, query.order_by(Ticket.id.desc()).limit(1))
        return rows[0] if rows else None

    async def set_card_message(self, ticket_id: int, message_id: int, *, chat_id: int | None = None) -> bool:
        """Remember the manager card of a ticket; false when the ticket does not exist."""
        async with self._transaction(write=True) as session:
            return await self._update(session, ticket_id, card_message_id=message_id, card_chat_id=chat_id)

    async def open_tickets(self, limit: int | None = None) -> list[TicketView]:
        """The queue: NEW and TAKEN tickets, most urgent first, then oldest first."""
        query = (select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), visible())
                 .order_by(Ticket.priority.desc(), Ticket.created_at, Ticket.id).limit(limit))
        async with self._transaction(write=False) as session:
            return await self._views(session, query)

    async def count_open(self) -> int:
        """How many tickets are in the queue (NEW and TAKEN), without loading them."""
        query = select(func.count()).select_from(Ticket).where(Ticket.status.in_(OPEN_STATUSES), visible())
        async with self._transaction(write=False) as session:
            return (await session.execute(query)).scalar_one()

    async def count_by_status(self) -> dict[TicketStatus, int]:
        """How many visible tickets are in each state (every state present, 0 when none)."""
        query = select(Ticket.status, func.count()).where(visible()).group_by(Ticket.status)
        async with self._transaction(write=False) as session:
            found = {TicketStatus(status): int(n) for status, n in (await session.execute(query)).all()}
        return {status: found.get(status, 0) for status in TicketStatus}

    async def unposted(self, older_than: timedelta, limit: int = 20) -> list[TicketView]:
        """Open tickets created at least ``older_than`` ago that still have no manager card (posting it
        failed), oldest first: a background job posts them again and calls :meth:`set_card_message`."""
        query = (select(Ticket)
                 .where(Ticket.status.in_(OPEN_STATUSES), visible(), Ticket.card_message_id.is_(None),
                        Ticket.created_at <= self._now() - older_than)
                 .order_by(Ticket.created_at, Ticket.id).limit(limit))
        async with self._transaction(write=False) as session:
            return await self._views(session, query)

    async def take(self, ticket_id: int, manager_id: int, manager_name: str) -> TransitionResult:
        """NEW → TAKEN by one manager; exactly one of several simultaneous takes wins."""
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.status == TicketStatus.NEW,
                status=TicketStatus.TAKEN, assignee_id=manager_id, assignee_name=manager_name[:NAME_LENGTH],
                taken_at=self._now(), last_reminded_at=None)
            ticket = await self._load(session, ticket_id)
            if changed:
                self._emit(session, "ticket.taken", ticket)
        if changed:
            return TransitionResult(TransitionCode.OK, ticket)
        if ticket is None:
            return TransitionResult(TransitionCode.NOT_FOUND)
        if ticket.status is TicketStatus.TAKEN:
            code = TransitionCode.ALREADY_YOURS if ticket.assignee_id == manager_id else \
                TransitionCode.TAKEN_BY_OTHER
            return TransitionResult(code, ticket)
        return TransitionResult(TransitionCode.WRONG_STATUS, ticket)

    async def raise_priority(self, ticket_id: int, by: int = 1) -> TicketView | None:
        """Make an open ticket more urgent (``by`` may be negative); ``None`` when it is not open."""
        async with self._transaction(write=True) as session:
            changed = await self._update(session, ticket_id, Ticket.status.in_(OPEN_STATUSES),
                                         priority=Ticket.priority + by)
            return await self._load(session, ticket_id) if changed else None

    async def soft_delete(self, ticket_id: int) -> bool:
        """Hide a ticket everywhere (an open one stops blocking a new ticket for the same VIN)."""
        async with self._transaction(write=True) as session:
            return await self._update(session, ticket_id, deleted_at=self._now())

    # --- SLA reminders -----------------------------------------------------------------------------

    async def due_reminders(self, new_after: timedelta, taken_after: timedelta,
                            remind_every: timedelta) -> list[TicketView]:
        """NEW tickets older than ``new_after`` and TAKEN ones held longer than ``taken_after``, unless a
        reminder about them was sent within ``remind_every`` (taking a ticket resets that throttle)."""
        now = self._now()
        stale = or_(
            and_(Ticket.status == TicketStatus.NEW, Ticket.created_at <= now - new_after),
            and_(Ticket.status == TicketStatus.TAKEN, Ticket.taken_at <= now - taken_after),
        )
        quiet = or_(Ticket.last_reminded_at.is_(None), Ticket.last_reminded_at <= now - remind_every)
        query = (select(Ticket).where(stale, quiet, visible())
                 .order_by(Ticket.priority.desc(), Ticket.created_at, Ticket.id))
        async with self._transaction(write=False) as session:
            return await self._views(session, query)

    async def mark_reminded(self, ids: Iterable[int]) -> int:
        """Record that a reminder about these tickets was sent now; returns how many were marked."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        async with self._transaction(write=True) as session:
            connection = await session.connection()
            result = await connection.execute(
                update(Ticket).where(Ticket.id.in_(wanted), visible()).values(last_reminded_at=self._now()))
            return result.rowcount

    # --- statistics --------------------------------------------------------------------------------

    async def stats(self, since: datetime | None = None) -> list[ManagerStats]:
        """Per manager: tickets taken and finished since ``since`` (all time when ``None``) and the median
        time from taking to finishing; busiest first."""
        query = select(Ticket.assignee_id, Ticket.assignee_name, Ticket.taken_at, Ticket.done_at,
                       Ticket.status).where(Ticket.assignee_id.is_not(None), visible())
        if since is not None:
            query = query.where(or_(Ticket.taken_at >= since, Ticket.done_at >= since))
        async with self._transaction(write=False) as session:
            rows = (await session.execute(query.order_by(Ticket.taken_at))).all()
        return summarize(rows, since)


def summarize(rows: Sequence[Any], since: datetime | None) -> list[ManagerStats]:
    """Fold ``(assignee_id, assignee_name, taken_at, done_at, status)`` rows into per-manager figures."""
    names: dict[int, str | None] = {}
    taken: dict[int, int] = {}
    durations: dict[int, list[float]] = {}
    for manager_id, name, taken_at, done_at, status in rows:
        names[manager_id] = name  # rows come in taking order: the latest name wins
        durations.setdefault(manager_id, [])
        taken.setdefault(manager_id, 0)
        if taken_at is not None and (since is None or taken_at >= since):
            taken[manager_id] += 1
        if status == TicketStatus.DONE and done_at is not None and taken_at is not None \
                and (since is None or done_at >= since):
            durations[manager_id].append((done_at - taken_at).total_seconds())
    result = [
        ManagerStats(manager_id=m, manager_name=names[m], taken=taken[m], done=len(durations[m]),
                     median_seconds_to_done=statistics.median(durations[m]) if durations[m] else None)
        for m in names
    ]
    return sorted(result, key=lambda s: (-s.done, -s.taken, s.manager_id))


def create_store(database_url: str, *, now: Callable[[], datetime] = utc_now,
                 routing: OutboxRouting | None = None) -> TicketStore:
    """A store with its own engine for ``database_url`` (the schema comes from :func:`upgrade_database`)."""
    return TicketStore(create_database_engine(database_url), now=now, routing=routing)
