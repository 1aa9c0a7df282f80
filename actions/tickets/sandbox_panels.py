"""What the VIN desk shows beside the chat in the playground page: its tickets, newest last,
read from the sandbox's ticket database each time the page asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from actions.tickets.store.models import Ticket

if TYPE_CHECKING:
    from engine.playground.sandbox import Sandbox

__all__ = ["offer_panels"]

SHOWN = 50


def offer_panels(sandbox: Sandbox, database_url: str) -> None:
    engine = create_async_engine(database_url)
    sandbox.stack.push_async_callback(engine.dispose)

    async def tickets() -> list[dict[str, Any]]:
        query = select(Ticket).order_by(Ticket.id.desc()).limit(SHOWN)
        try:
            async with engine.connect() as connection:
                found = (await connection.execute(query)).all()
        except SQLAlchemyError as exc:  # the tables are made by the bot's start, which may not have run
            return [{"number": "", "status": f"the ticket database cannot be read: {exc}"}]
        return [{"number": row.id, "VIN": row.vin, "customer": row.customer_name,
                 "status": str(getattr(row.status, "value", row.status)),
                 "manager": row.assignee_name or "", "priority": row.priority,
                 "created": row.created_at.strftime("%Y-%m-%d %H:%M") if row.created_at else ""}
                for row in reversed(found)]

    sandbox.add_panel("tickets", "Tickets of the VIN desk", tickets,
                      ["number", "VIN", "customer", "status", "manager", "priority", "created"])
