"""Delivering a ticket's report: the claim, the delivery journal, finishing, and reconciling after a crash.

The order the desk follows: :meth:`~DeliveryStore.begin_delivery` (claim) → send the PDF →
:meth:`~DeliveryStore.record_delivery` (the journal: the customer has it, message id and file) →
:meth:`~DeliveryStore.finish` (DONE). A process that dies after recording but before DONE leaves an
unsettled journal row: no new claim is granted for that ticket (``DELIVERED``, so no second copy is
sent) and :meth:`~DeliveryStore.reconcile` (run at start and by the SLA job) marks it DONE.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, exists, or_, select, update

from .base import StoreBase
from .models import Delivery, Ticket, TicketStatus
from .outbox import enqueue_archive
from .views import DeliveryView, TicketView, TransitionCode, TransitionResult

DELIVERY_STALE_AFTER: Final = timedelta(minutes=5)


def _unsettled(ticket_id: int | None = None) -> ColumnElement[bool]:
    """An unsettled journal row exists for ``ticket_id`` (for the ticket of the statement when ``None``)."""
    target: Any = Ticket.id if ticket_id is None else ticket_id
    return exists().where(Delivery.ticket_id == target, Delivery.settled_at.is_(None))


class DeliveryStore(StoreBase):
    """The delivery part of :class:`~actions.tickets.store.TicketStore`."""

    async def begin_delivery(self, ticket_id: int, manager_id: int, *,
                             stale_after: timedelta = DELIVERY_STALE_AFTER) -> TransitionResult:
        """The assignee claims the sending of a TAKEN ticket's report; exactly one of several simultaneous
        claims wins. After OK send the document, then :meth:`record_delivery` and :meth:`finish`
        (delivered) or :meth:`abort_delivery` (failed). A claim older than ``stale_after`` (its sender
        died) can be taken over; a fresher one gives DELIVERING; a report already in the journal (sent,
        not yet DONE) gives DELIVERED."""
        if stale_after <= timedelta(0):
            raise ValueError("stale_after must be positive")
        now = self._now()
        claimable = or_(Ticket.delivery_started_at.is_(None), Ticket.delivery_started_at <= now - stale_after)
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.status == TicketStatus.TAKEN, Ticket.assignee_id == manager_id,
                claimable, ~_unsettled(), delivery_started_at=now)
            ticket = await self._load(session, ticket_id)
            delivered = bool(await session.scalar(select(_unsettled(ticket_id))))
        if changed:
            return TransitionResult(TransitionCode.OK, ticket)
        if ticket is None:
            return TransitionResult(TransitionCode.NOT_FOUND)
        if ticket.status is not TicketStatus.TAKEN:
            return TransitionResult(TransitionCode.WRONG_STATUS, ticket)
        if ticket.assignee_id != manager_id:
            return TransitionResult(TransitionCode.NOT_ASSIGNEE, ticket)
        if delivered:
            return TransitionResult(TransitionCode.DELIVERED, ticket)
        return TransitionResult(TransitionCode.DELIVERING, ticket)

    def _holds(self, manager_id: int, claimed_at: datetime) -> tuple[ColumnElement[bool], ...]:
        return (Ticket.status == TicketStatus.TAKEN, Ticket.assignee_id == manager_id,
                Ticket.delivery_started_at == claimed_at)

    async def abort_delivery(self, ticket_id: int, manager_id: int, *, claimed_at: datetime) -> bool:
        """Release the delivery claim that ``manager_id`` took at ``claimed_at`` (sending failed), so it can
        be claimed again at once; false when that claim is not held any more (released, taken over after
        going stale, the ticket reassigned or finished): somebody else's claim is never released."""
        async with self._transaction(write=True) as session:
            return await self._update(session, ticket_id, *self._holds(manager_id, claimed_at),
                                      ~_unsettled(), delivery_started_at=None)

    async def record_delivery(self, ticket_id: int, manager_id: int, *, claimed_at: datetime, chat_id: int,
                              message_id: int, file_id: str) -> int | None:
        """The journal: the report reached the customer as ``message_id`` in ``chat_id``. Written right
        after sending, before :meth:`finish`; the report is queued for the archive in the same transaction.
        The journal row's id, or ``None`` when the claim is not held (then nothing is written)."""
        now = self._now()
        async with self._transaction(write=True) as session:
            held: int | None = await session.scalar(select(Ticket.id).where(
                Ticket.id == ticket_id, *self._holds(manager_id, claimed_at), ~_unsettled())
                .with_for_update())
            if held is None:
                return None
            row = Delivery(ticket_id=ticket_id, manager_id=manager_id, chat_id=chat_id, message_id=message_id,
                           file_id=file_id, sent_at=now)
            session.add(row)
            await session.flush()
            enqueue_archive(session, self.routing, ticket_id, row.id, file_id, now)
            return row.id

    async def finish(self, ticket_id: int, manager_id: int, report_file_id: str) -> TransitionResult:
        """TAKEN → DONE by its assignee. Call it only after the customer has received the report; it also
        releases the delivery claim of :meth:`begin_delivery` (finishing does not require one) and settles
        the ticket's journal row. Writes ``ticket.done`` to the outbox."""
        now = self._now()
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.status == TicketStatus.TAKEN, Ticket.assignee_id == manager_id,
                status=TicketStatus.DONE, report_file_id=report_file_id, done_at=now,
                delivery_started_at=None)
            ticket = await self._load(session, ticket_id)
            if changed:
                connection = await session.connection()
                await connection.execute(update(Delivery).where(
                    Delivery.ticket_id == ticket_id, Delivery.settled_at.is_(None)).values(settled_at=now))
                self._emit(session, "ticket.done", ticket)
        if changed:
            return TransitionResult(TransitionCode.OK, ticket)
        if ticket is None:
            return TransitionResult(TransitionCode.NOT_FOUND)
        if ticket.status is TicketStatus.TAKEN:
            return TransitionResult(TransitionCode.NOT_ASSIGNEE, ticket)
        return TransitionResult(TransitionCode.WRONG_STATUS, ticket)

    async def reconcile(self, ticket_id: int | None = None) -> list[TicketView]:
        """Finish what a crash interrupted: each unsettled journal row (of ``ticket_id``, or all) marks its
        ticket DONE with the delivered file, as of the moment it was sent. Safe to run by several processes
        at once. Returns the tickets this call finished."""
        query = select(Delivery.id).where(Delivery.settled_at.is_(None)).order_by(Delivery.id)
        if ticket_id is not None:
            query = query.where(Delivery.ticket_id == ticket_id)
        async with self._sessions() as session:
            pending = list((await session.scalars(query)).all())
        finished: list[TicketView] = []
        for delivery_id in pending:
            now = self._now()
            async with self._transaction(write=True) as session:
                connection = await session.connection()
                settled = await connection.execute(update(Delivery).where(
                    Delivery.id == delivery_id, Delivery.settled_at.is_(None)).values(settled_at=now))
                if settled.rowcount != 1:
                    continue  # another process settled it
                row = await session.get_one(Delivery, delivery_id)
                changed = await self._update(
                    session, row.ticket_id, Ticket.status == TicketStatus.TAKEN,
                    Ticket.assignee_id == row.manager_id, status=TicketStatus.DONE,
                    report_file_id=row.file_id, done_at=row.sent_at, delivery_started_at=None)
                if changed:
                    ticket = await self._load(session, row.ticket_id)
                    self._emit(session, "ticket.done", ticket)
                    if ticket is not None:
                        finished.append(ticket)
        return finished

    async def deliveries(self, ticket_id: int) -> list[DeliveryView]:
        """The journal of one ticket, oldest first."""
        async with self._transaction(write=False) as session:
            rows = (await session.scalars(select(Delivery).where(Delivery.ticket_id == ticket_id)
                                          .order_by(Delivery.id))).all()
            return [DeliveryView.of(row) for row in rows]

    async def set_archived(self, delivery_id: int, key: str, sha256: str) -> bool:
        """Where the report of a journal row was archived, and its SHA-256."""
        async with self._transaction(write=True) as session:
            connection = await session.connection()
            result = await connection.execute(update(Delivery).where(Delivery.id == delivery_id)
                                              .values(archive_key=key, sha256=sha256))
            return result.rowcount == 1
