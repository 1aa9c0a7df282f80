"""Plain values the store returns: callers never hold an ORM object or a session."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import OPEN_STATUSES, Delivery, Ticket, TicketStatus


@dataclass(frozen=True)
class TicketView:
    """A snapshot of one ticket. Timestamps are aware UTC.

    ``card_chat_id`` / ``card_message_id`` locate the manager card (replies are resolved through them, never
    by parsing message text); ``priority``: higher is more urgent; ``last_reminded_at``: the last SLA
    reminder about this ticket; ``delivery_started_at``: when the assignee began sending the report (a claim
    taken by ``TicketStore.begin_delivery``, ``None`` when no delivery is in flight); ``customer_locale``: the
    language the customer used when opening it (their messages are sent in it; ``None`` for tickets opened
    before it was kept); ``channel``: ``None`` when opened in the bot, ``api:<client>`` through the API for
    apps (its report may reach the customer through the app only); ``deleted_at`` is always ``None`` here
    (deleted tickets are hidden).
    """

    id: int
    vin: str
    customer_user_id: int
    customer_chat_id: int
    customer_name: str
    status: TicketStatus
    priority: int
    assignee_id: int | None
    assignee_name: str | None
    card_chat_id: int | None
    card_message_id: int | None
    report_file_id: str | None
    created_at: datetime
    taken_at: datetime | None
    done_at: datetime | None
    canceled_at: datetime | None
    last_reminded_at: datetime | None
    delivery_started_at: datetime | None
    deleted_at: datetime | None
    customer_locale: str | None = None
    channel: str | None = None  # None: opened in the bot; "api:<client>": through the API for apps

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def of(cls, row: Ticket) -> TicketView:
        return cls(
            id=row.id, vin=row.vin, customer_user_id=row.customer_user_id,
            customer_chat_id=row.customer_chat_id, customer_name=row.customer_name,
            status=TicketStatus(row.status), priority=row.priority, assignee_id=row.assignee_id,
            assignee_name=row.assignee_name, card_chat_id=row.card_chat_id,
            card_message_id=row.card_message_id, report_file_id=row.report_file_id,
            created_at=row.created_at, taken_at=row.taken_at, done_at=row.done_at,
            canceled_at=row.canceled_at, last_reminded_at=row.last_reminded_at,
            delivery_started_at=row.delivery_started_at, deleted_at=row.deleted_at,
            customer_locale=row.customer_locale, channel=row.channel,
        )


class CreateOutcome(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # the customer already has an open ticket for this VIN: ``ticket`` is that one
    RATE_LIMITED = "rate_limited"  # too many tickets in the last hour: see ``retry_after``


@dataclass(frozen=True)
class CreateResult:
    outcome: CreateOutcome
    ticket: TicketView | None = None
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is CreateOutcome.CREATED


class TransitionCode(enum.StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"  # no such ticket, deleted, or (for customers) someone else's
    WRONG_STATUS = "wrong_status"  # e.g. taking a DONE ticket, cancelling a TAKEN one
    TAKEN_BY_OTHER = "taken_by_other"  # take: another manager holds it (``ticket.assignee_*`` says who)
    ALREADY_YOURS = "already_yours"  # take: this manager already holds it (a double click)
    NOT_ASSIGNEE = "not_assignee"  # finish, begin_delivery: the ticket is held by another manager
    DELIVERING = "delivering"  # begin_delivery: another delivery of this ticket's report is in flight
    DELIVERED = "delivered"  # begin_delivery: the journal says the report already reached the customer


@dataclass(frozen=True)
class TransitionResult:
    """The outcome of a state change; ``ticket`` is the state after it (``None`` when not found)."""

    code: TransitionCode
    ticket: TicketView | None = None

    @property
    def ok(self) -> bool:
        return self.code is TransitionCode.OK


TakeResult = TransitionResult


@dataclass(frozen=True)
class ManagerStats:
    """One manager's work since a moment: tickets taken, finished, and the median time to finish."""

    manager_id: int
    manager_name: str | None
    taken: int
    done: int
    median_seconds_to_done: float | None


@dataclass(frozen=True)
class DeliveryView:
    """One row of the delivery journal (see ``actions.tickets.store.models.Delivery``)."""

    id: int
    ticket_id: int
    manager_id: int
    chat_id: int
    message_id: int
    file_id: str
    sent_at: datetime
    settled_at: datetime | None
    archive_key: str | None
    sha256: str | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryView:
        return cls(id=row.id, ticket_id=row.ticket_id, manager_id=row.manager_id, chat_id=row.chat_id,
                   message_id=row.message_id, file_id=row.file_id, sent_at=row.sent_at,
                   settled_at=row.settled_at, archive_key=row.archive_key, sha256=row.sha256)
