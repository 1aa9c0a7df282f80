"""What every part of the ticket store shares: the engine, the clock, short transactions, conditional
updates, and the outbox events written inside those transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .database import WRITE_OPTION
from .models import Ticket
from .outbox import OutboxRouting, enqueue
from .panel_models import TicketHistory
from .views import TicketView


def utc_now() -> datetime:
    return datetime.now(UTC)


def visible() -> ColumnElement[bool]:
    return Ticket.deleted_at.is_(None)


class StoreBase:
    """Tickets in a SQL database (SQLite or PostgreSQL through SQLAlchemy's asyncio extension).

    ``now`` is the clock (aware datetimes); tests pass a controllable one. ``routing`` says where the
    outbox sends events (nowhere by default: no rows are written); ``on_event`` is called after a commit
    that wrote outbox rows (the relay wakes up). The schema is created by :func:`upgrade_database`, never
    by the store. Call :meth:`close` on shutdown.
    """

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = utc_now,
                 routing: OutboxRouting | None = None, on_event: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = now
        self.routing = routing or OutboxRouting()
        self.on_event = on_event

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._now

    async def close(self) -> None:
        """Close every pooled connection (graceful shutdown)."""
        await self._engine.dispose()

    def _now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the store's clock returned a naive datetime")
        return moment.astimezone(UTC)

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            async with session.begin():
                await session.connection(execution_options={WRITE_OPTION: write})
                yield session
            if session.info.get("outbox") and self.on_event is not None:
                self.on_event()

    def _emit(self, session: AsyncSession, event_type: str, ticket: TicketView | None,
              *, actor: str | None = None, note: str | None = None) -> None:
        """Write ``event_type`` about ``ticket`` to the outbox and its history, in this transaction
        (``actor``: who, when not the customer or the assignee; ``note``: a reason)."""
        if ticket is None:
            return
        enqueue(session, self.routing, event_type, ticket, self._now())
        event = event_type.removeprefix("ticket.")
        if actor is None:
            actor = ticket.assignee_name if event in ("taken", "done") else ticket.customer_name
        self._history(session, ticket, event, actor, note)

    def _history(self, session: AsyncSession, ticket: TicketView, event: str, actor: str | None,
                 note: str | None = None) -> None:
        """A line of the ticket's history (the panel shows it), in this transaction."""
        session.add(TicketHistory(ticket_id=ticket.id, at=self._now(), event=event,
                                  status=ticket.status.value, actor=actor, note=note))

    async def _load(self, session: AsyncSession, ticket_id: int) -> TicketView | None:
        row = await session.scalar(
            select(Ticket).where(Ticket.id == ticket_id, visible())
            .execution_options(populate_existing=True))
        return None if row is None else TicketView.of(row)

    async def _views(self, session: AsyncSession, query: Select[Ticket]) -> list[TicketView]:
        return [TicketView.of(row) for row in (await session.scalars(query)).all()]

    async def _update(self, session: AsyncSession, ticket_id: int, *conditions: ColumnElement[bool],
                      **values: Any) -> bool:
        """``UPDATE tickets SET values WHERE id AND visible AND conditions``; true when a row changed."""
        connection = await session.connection()
        result = await connection.execute(
            update(Ticket).where(Ticket.id == ticket_id, visible(), *conditions).values(**values))
        return result.rowcount == 1
