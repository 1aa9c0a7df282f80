"""The ticket table as a typed SQLAlchemy model; timestamps are aware UTC on every backend."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}
# The partial unique index's condition: at most one open ticket per customer and VIN.
OPEN_TICKET_CONDITION = "status IN ('NEW', 'TAKEN') AND deleted_at IS NULL"
NAME_LENGTH = 256
LOCALE_LENGTH = 16  # customer and manager display names are cut to this length
CHANNEL_LENGTH = 72  # where a ticket was opened: NULL (the bot) or "api:<client>"
MAX_TICKET_ID = 2**31 - 1  # the id column is an INTEGER: 32-bit on PostgreSQL
#: a ticket number as actions take it: the engine refuses any other value before they run
TicketId = Annotated[int, Ge(1), Le(MAX_TICKET_ID)]


class TicketStatus(enum.StrEnum):
    NEW = "NEW"
    TAKEN = "TAKEN"
    DONE = "DONE"
    CANCELED = "CANCELED"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.TAKEN)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC; naive datetimes are refused on the way in.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the value is stored as naive UTC text
    (which still sorts and compares correctly) and marked as UTC again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Ticket(Base):
    """One customer request for a VIN report; see ``TicketView`` for the meaning of each field."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vin: Mapped[str] = mapped_column(String(17))
    customer_user_id: Mapped[int] = mapped_column(BigInteger)
    customer_chat_id: Mapped[int] = mapped_column(BigInteger)
    customer_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[TicketStatus] = mapped_column(
        Enum(TicketStatus, native_enum=False, create_constraint=True, length=16, name="status",
             values_callable=lambda members: [m.value for m in members]),
    )
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    report_file_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    canceled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivery_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    customer_locale: Mapped[str | None] = mapped_column(String(LOCALE_LENGTH))
    channel: Mapped[str | None] = mapped_column(String(CHANNEL_LENGTH))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        # a customer's open tickets, and the duplicate check
        Index("ix_tickets_customer_status", "customer_user_id", "status"),
        # a customer's history (newest first) and the hourly limit
        Index("ix_tickets_customer_created", "customer_user_id", "created_at"),
        # the managers' queue and the reminders
        Index("ix_tickets_queue", "status", "priority", "created_at"),
        Index("ix_tickets_vin_customer", "vin", "customer_user_id"),
        # replies to a manager card
        Index("ix_tickets_card", "card_message_id"),
        # per-manager statistics
        Index("ix_tickets_assignee_taken", "assignee_id", "taken_at"),
        # race-safe duplicate protection: one open ticket per customer and VIN
        Index("uq_tickets_open_customer_vin", "customer_user_id", "vin", unique=True,
              sqlite_where=text(OPEN_TICKET_CONDITION), postgresql_where=text(OPEN_TICKET_CONDITION)),
    )


class Delivery(Base):
    """The delivery journal: a report that reached the customer (its message), written before the ticket is
    marked DONE. ``settled_at`` is set when the ticket became DONE from it; an unsettled row after a crash is
    finished by :meth:`TicketStore.reconcile` instead of sending a second copy. ``archive_key`` and
    ``sha256`` say where the PDF was archived (S3) and its checksum, once it was."""

    __tablename__ = "ticket_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"))
    manager_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(String(256))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    archive_key: Mapped[str | None] = mapped_column(String(1024))
    sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_ticket_deliveries_ticket", "ticket_id", "settled_at"),)


class OutboxMessage(Base):
    """The transactional outbox: one row per event and destination, written in the transaction that changed
    the ticket, sent (and retried with backoff) by :class:`~actions.tickets.outbox.OutboxRelay`.

    ``event_id`` is the idempotency key receivers see (the same on every retry); ``destination`` is a
    webhook URL or ``s3`` (archive a report); ``locked_until`` is a relay's lease on the row (a relay that
    died loses it when it runs out); ``sent_at`` or ``failed_at`` (given up) end the row's life.
    """

    __tablename__ = "tickets_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(1024))
    ticket_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lock_token: Mapped[str | None] = mapped_column(String(36))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(512))

    __table_args__ = (
        Index("uq_tickets_outbox_event_destination", "event_id", "destination", unique=True),
        # the relay's scan: rows not yet sent nor given up, by due time
        Index("ix_tickets_outbox_due", "sent_at", "failed_at", "next_attempt_at"),
    )
