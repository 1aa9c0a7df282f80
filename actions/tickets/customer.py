"""The customer's side (private chat): send a VIN, see one's requests, cancel a new one."""

from __future__ import annotations

import math

from actions.tickets.desk_service import Desk, display_name, store_errors
from actions.tickets.store import CreateOutcome, TicketId, TransitionCode
from actions.tickets.views import ticket_data, vin_check_data
from actions.tickets.vin import validate_vin
from engine.actions import ActionContext, Result, action

__all__ = ["cancel", "cancel_command", "my_tickets", "submit"]

HISTORY_LIMIT = 10


@action(outcomes=("ok", "invalid", "duplicate", "rate_limited", "command"),
        provides=("ticket", "vin_check", "retry_minutes"))
async def submit(ctx: ActionContext, *, vin: str) -> Result:
    """A VIN from the customer: checked, then a NEW ticket and its card in the managers' chat.

    ``invalid``: the VIN is malformed (``vin_check`` says how); ``duplicate``: the customer has an
    open ticket for it (``ticket``); ``rate_limited``: too many new tickets this hour
    (``retry_minutes``); ``command``: an unknown /command, not a VIN.
    """
    if vin.lstrip().startswith("/"):
        return Result.of("command")
    check = validate_vin(vin)
    if not check.ok:
        return Result.of("invalid", vin_check=vin_check_data(check))
    desk = ctx.services.get(Desk)
    with store_errors():
        created = await desk.store.create(
            check.vin, ctx.user.id, ctx.chat.id, display_name(ctx),
            max_per_hour=int(ctx.settings["TICKETS_PER_HOUR"]), locale=ctx.locale,
        )
    now = ctx.now()
    if created.outcome is CreateOutcome.RATE_LIMITED:
        seconds = created.retry_after.total_seconds() if created.retry_after else 60
        return Result.of("rate_limited", retry_minutes=max(1, math.ceil(seconds / 60)))
    assert created.ticket is not None
    data = ticket_data(created.ticket, now)
    if created.outcome is CreateOutcome.DUPLICATE:
        return Result.of("duplicate", ticket=data)
    ctx.log.info("ticket %s opened", created.ticket.id)  # no VIN, no name: not logged
    await desk.post_card(ctx.notifier, ctx.settings, created.ticket, now)
    return Result.ok(ticket=data, vin_check=vin_check_data(check))


@action(outcomes=("ok",), provides=("tickets", "cancellable"))
async def my_tickets(ctx: ActionContext) -> Result:
    """The customer's latest requests, newest first, and those they may still cancel."""
    desk = ctx.services.get(Desk)
    with store_errors():
        tickets = await desk.store.customer_tickets(ctx.user.id, limit=HISTORY_LIMIT)
    now = ctx.now()
    rows = [ticket_data(t, now) for t in tickets]
    return Result.ok(tickets=rows, cancellable=[r for r in rows if r["status"] == "NEW"])


@action(outcomes=("ok", "not_found", "not_cancellable"), provides=("ticket",))
async def cancel(ctx: ActionContext, *, ticket_id: TicketId) -> Result:
    """Withdraw a NEW ticket of one's own; its card in the managers' chat shows that."""
    desk = ctx.services.get(Desk)
    with store_errors():
        result = await desk.store.cancel(ticket_id, ctx.user.id)
    if result.code is TransitionCode.NOT_FOUND or result.ticket is None:
        return Result.of("not_found")
    now = ctx.now()
    if result.code is not TransitionCode.OK:
        return Result.of("not_cancellable", ticket=ticket_data(result.ticket, now))
    ctx.log.info("ticket %s canceled by the customer", ticket_id)
    await desk.refresh_card(ctx.notifier, ctx.settings, result.ticket, now)
    return Result.ok(ticket=ticket_data(result.ticket, now))


@action(outcomes=("ok", "choose", "not_found", "not_cancellable"), provides=("ticket",))
async def cancel_command(ctx: ActionContext, *, ticket_id: TicketId | None = None) -> Result:
    """``/cancel 12`` cancels request 12; a bare ``/cancel`` lets the customer choose."""
    if ticket_id is None:
        return Result.of("choose")
    return await cancel(ctx, ticket_id=ticket_id)
