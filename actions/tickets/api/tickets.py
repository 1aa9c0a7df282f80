"""The API's endpoints: open a ticket for a VIN, list one's tickets, read one, download its report.

The rules are the bot's (``validate_vin``, the store's duplicate and hourly limits, the managers' card
posted through the bot), so a ticket opened from the app is handled in the managers' group like any
other, and the report a manager sends reaches the customer in Telegram and here.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiohttp import web

from actions.tickets.api.http import ApiError, Caller, endpoint
from actions.tickets.archive import telegram_fetch
from actions.tickets.desk_service import Desk, store_errors
from actions.tickets.reports import NoReport, read_report
from actions.tickets.store import CreateOutcome, TicketView
from actions.tickets.views import vin_check_data
from actions.tickets.vin import (
    BAD_CHARACTERS,
    CHECK_DIGIT,
    EMPTY,
    FORBIDDEN,
    MODEL_YEAR,
    TOO_LONG,
    TOO_SHORT,
    validate_vin,
)
from engine.routes import RouteContext

__all__ = ["create_ticket", "get_report", "get_ticket", "list_tickets", "ticket_json"]

MAX_VIN_INPUT = 64
MAX_NAME = 64
LIST_DEFAULT, LIST_MAX = 20, 50
VIN_MESSAGES = {
    EMPTY: "the VIN is empty",
    TOO_SHORT: "a VIN has 17 characters; this one is shorter",
    TOO_LONG: "a VIN has 17 characters; this one is longer",
    BAD_CHARACTERS: "the VIN has characters that are not letters or digits",
    FORBIDDEN: "a VIN never has the letters I, O or Q (see vin_check.suggestion)",
    CHECK_DIGIT: "the check digit (position 9) does not match",
    MODEL_YEAR: "position 10 is not a valid model year code",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def ticket_json(ticket: TicketView) -> dict[str, Any]:
    """A ticket as the app sees it (no manager or card details)."""
    return {
        "id": ticket.id, "vin": ticket.vin, "status": ticket.status.value,
        "created_at": _iso(ticket.created_at), "taken_at": _iso(ticket.taken_at),
        "done_at": _iso(ticket.done_at), "canceled_at": _iso(ticket.canceled_at),
        "report_available": ticket.status.value == "DONE" and bool(ticket.report_file_id),
        "warnings": list(validate_vin(ticket.vin).warnings),
    }


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(415, "json_required", "send the body as application/json")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise ApiError(422, "invalid_field", f"'{key}' must be a string of at most {limit} "
                       "characters", field=key)
    return value


@endpoint
async def create_ticket(request: web.Request, ctx: RouteContext, caller: Caller) -> web.StreamResponse:
    body = await _body(request)
    raw = _text(body, "vin", MAX_VIN_INPUT, required=True) or ""
    name = _text(body, "name", MAX_NAME)
    locale = _text(body, "locale", 8)
    check = validate_vin(raw)
    if not check.ok:
        code = check.error or "invalid"
        raise ApiError(422, "invalid_vin", VIN_MESSAGES.get(code, "the VIN is not valid"),
                       vin_check=vin_check_data(check))
    desk = ctx.services.get(Desk)
    with store_errors():
        created = await desk.store.create(
            check.vin, caller.customer_id, caller.customer_id,
            (name or "").strip() or str(caller.customer_id),
            max_per_hour=int(ctx.settings["TICKETS_PER_HOUR"]), locale=locale,
            channel=f"api:{caller.client}")
    if created.outcome is CreateOutcome.RATE_LIMITED:
        seconds = math.ceil(created.retry_after.total_seconds()) if created.retry_after else 60
        failure = ApiError(429, "rate_limited", "too many new tickets this hour for this customer",
                           retry_after_seconds=seconds)
        failure.headers["Retry-After"] = str(seconds)
        raise failure
    assert created.ticket is not None
    if created.outcome is CreateOutcome.DUPLICATE:
        raise ApiError(409, "duplicate", "this customer has an open ticket for this VIN",
                       ticket=ticket_json(created.ticket))
    ctx.log.info("ticket %s opened through the API by %s", created.ticket.id, caller.client)
    await desk.post_card(ctx.notifier, ctx.settings, created.ticket, ctx.now())
    return web.json_response(ticket_json(created.ticket), status=201,
                             headers={"Location": f"/api/v1/tickets/{created.ticket.id}"})


@endpoint
async def list_tickets(request: web.Request, ctx: RouteContext, caller: Caller) -> web.StreamResponse:
    raw = request.query.get("limit", str(LIST_DEFAULT))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= LIST_MAX:
        raise ApiError(422, "invalid_field", f"'limit' must be 1 to {LIST_MAX}", field="limit")
    desk = ctx.services.get(Desk)
    with store_errors():
        tickets = await desk.store.customer_tickets(caller.customer_id, limit=int(raw))
    return web.json_response({"tickets": [ticket_json(t) for t in tickets]})


async def _own_ticket(ctx: RouteContext, caller: Caller) -> TicketView:
    raw = ctx.params["ticket_id"]
    ticket: TicketView | None = None
    if raw.isascii() and raw.isdigit() and len(raw) < 16:
        with store_errors():
            ticket = await ctx.services.get(Desk).store.get(int(raw))
    if ticket is None or ticket.customer_user_id != caller.customer_id:
        raise ApiError(404, "not_found", "no such ticket for this customer")
    return ticket


@endpoint
async def get_ticket(request: web.Request, ctx: RouteContext, caller: Caller) -> web.StreamResponse:
    return web.json_response(ticket_json(await _own_ticket(ctx, caller)))


@endpoint
async def get_report(request: web.Request, ctx: RouteContext, caller: Caller) -> web.StreamResponse:
    ticket = await _own_ticket(ctx, caller)
    if ticket.status.value != "DONE":
        raise ApiError(404, "no_report", f"the ticket is {ticket.status.value}: no report yet")
    try:
        report = await read_report(ctx.services.get(Desk), ticket,
                                   telegram_fetch(lambda: ctx.services.get(Bot)))
    except NoReport:
        raise ApiError(404, "no_report", "this ticket's report was not kept") from None
    return web.Response(body=report.data, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="vin-{ticket.vin}-{ticket.id}.pdf"',
        "X-Report-Sha256": report.sha256, "Cache-Control": "private, no-store"})
