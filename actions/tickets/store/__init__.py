"""The ticket store: SQLAlchemy asyncio on SQLite or PostgreSQL, schema managed by Alembic."""

from . import panel_models  # noqa: F401  (the panel's tables join the metadata migrations check)
from .database import DEFAULT_DATABASE_URL, async_database_url, create_database_engine
from .migrate import upgrade_database
from .models import MAX_TICKET_ID, TicketId, TicketStatus
from .outbox import EVENT_TYPES, OutboxCounts, OutboxItem, OutboxRouting, OutboxStore, ticket_payload
from .store import TicketStore, create_store
from .views import (
    CreateOutcome,
    CreateResult,
    DeliveryView,
    ManagerStats,
    TakeResult,
    TicketView,
    TransitionCode,
    TransitionResult,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "EVENT_TYPES",
    "MAX_TICKET_ID",
    "CreateOutcome",
    "CreateResult",
    "DeliveryView",
    "ManagerStats",
    "OutboxCounts",
    "OutboxItem",
    "OutboxRouting",
    "OutboxStore",
    "TakeResult",
    "TicketId",
    "TicketStatus",
    "TicketStore",
    "TicketView",
    "TransitionCode",
    "TransitionResult",
    "async_database_url",
    "create_database_engine",
    "create_store",
    "ticket_payload",
    "upgrade_database",
]
