"""Tickets, VIN checks and statistics as plain, JSON-friendly data for templates.

Templates format what they get (dates through the ``datetime`` filter in the bot's time zone,
ages and durations through ``_desk`` macros); nothing here is user-visible text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from actions.tickets.store import ManagerStats, TicketView
from actions.tickets.vin import VinCheck, validate_vin

__all__ = ["minutes_between", "stats_data", "ticket_data", "vin_check_data"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def minutes_between(start: datetime | None, end: datetime) -> int | None:
    if start is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def ticket_data(ticket: TicketView, now: datetime) -> dict[str, Any]:
    """One ticket for templates and button arguments (``ticket.id``, ``ticket.status``, ...).

    ``age_minutes`` counts from creation; ``held_minutes`` from taking (TAKEN only);
    ``warnings`` are the VIN's soft findings (a check digit that does not match outside North
    America), shown to managers so that they double-check.
    """
    return {
        "id": ticket.id,
        "vin": ticket.vin,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "customer_name": ticket.customer_name,
        "customer_user_id": ticket.customer_user_id,
        "assignee_id": ticket.assignee_id,
        "assignee_name": ticket.assignee_name,
        "created_at": _iso(ticket.created_at),
        "taken_at": _iso(ticket.taken_at),
        "done_at": _iso(ticket.done_at),
        "canceled_at": _iso(ticket.canceled_at),
        "age_minutes": minutes_between(ticket.created_at, now),
        "held_minutes": minutes_between(ticket.taken_at, now) if ticket.status == "TAKEN" else None,
        "work_minutes": minutes_between(ticket.taken_at, ticket.done_at) if ticket.done_at else None,
        "warnings": list(validate_vin(ticket.vin).warnings),
        "delivering": ticket.delivery_started_at is not None,
    }


def vin_check_data(check: VinCheck) -> dict[str, Any]:
    """What the customer is told about the VIN they sent (``vin_check.error`` decides the text)."""
    return {
        "vin": check.vin,
        "ok": check.ok,
        "error": check.error,
        "warnings": list(check.warnings),
        "length": check.length,
        "bad_chars": list(check.bad_chars),
        "positions": list(check.positions),
        "suggestion": check.suggestion,
        "expected_check": check.expected_check,
        "found_check": check.found_check,
        "north_american": check.north_american,
    }


def stats_data(stats: list[ManagerStats]) -> list[dict[str, Any]]:
    return [
        {
            "manager_id": s.manager_id,
            "name": s.manager_name or str(s.manager_id),
            "taken": s.taken,
            "done": s.done,
            "median_minutes": None if s.median_seconds_to_done is None
            else round(s.median_seconds_to_done / 60),
        }
        for s in stats
    ]
