"""The managers' side (MANAGER_CHAT_ID): take a ticket, raise its priority, the queue, statistics.

Only people in MANAGER_IDS may change tickets; anyone in the managers' chat may look at the
queue and the statistics. Every state change is one conditional UPDATE in the store, so two
managers pressing Take at the same moment get exactly one winner.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from actions.tickets.desk_service import Desk, display_name, store_errors
from actions.tickets.store import TicketId, TransitionCode
from actions.tickets.views import stats_data, ticket_data
from engine.actions import ActionContext, Result, action

__all__ = ["hint", "prioritize", "queue", "stats", "take"]

log = logging.getLogger("actions.tickets")
QUEUE_LIMIT = 30
DEFAULT_STATS_DAYS = 30
MAX_STATS_DAYS = 3660


@action(outcomes=("ok", "not_manager", "taken_by_other", "already_yours", "closed", "not_found"),
        provides=("ticket",))
async def take(ctx: ActionContext, *, ticket_id: TicketId) -> Result:
    """The Take button of a card: NEW → TAKEN by this manager; the card and the customer are told."""
    desk = ctx.services.get(Desk)
    if not desk.may_act(ctx):
        return Result.of("not_manager")
    with store_errors():
        result = await desk.store.take(ticket_id, ctx.user.id, display_name(ctx))
    if result.ticket is None:
        return Result.of("not_found")
    now = ctx.now()
    data = ticket_data(result.ticket, now)
    outcome = {
        TransitionCode.OK: "ok", TransitionCode.TAKEN_BY_OTHER: "taken_by_other",
        TransitionCode.ALREADY_YOURS: "already_yours",
    }.get(result.code, "closed")
    if outcome == "ok":
        ctx.log.info("ticket %s taken", ticket_id)
        await desk.refresh_card(ctx.notifier, ctx.settings, result.ticket, now)
        await desk.tell_customer(ctx.notifier, "customer_taken", result.ticket, now)
    return Result.of(outcome, ticket=data)


@action(outcomes=("ok", "not_found"), provides=("ticket",))
async def hint(ctx: ActionContext, *, ticket_id: TicketId) -> Result:
    """The "How to finish" button: the notice explains replying with the PDF or /done."""
    desk = ctx.services.get(Desk)
    with store_errors():
        ticket = await desk.store.get(ticket_id)
    if ticket is None:
        return Result.of("not_found")
    return Result.ok(ticket=ticket_data(ticket, ctx.now()))


@action(outcomes=("ok", "not_manager", "closed"), provides=("ticket",))
async def prioritize(ctx: ActionContext, *, ticket_id: TicketId) -> Result:
    """Make an open ticket more urgent: it moves up the queue and the reminders."""
    desk = ctx.services.get(Desk)
    if not desk.may_act(ctx):
        return Result.of("not_manager")
    with store_errors():
        ticket = await desk.store.raise_priority(ticket_id)
    if ticket is None:
        return Result.of("closed")
    now = ctx.now()
    ctx.log.info("ticket %s priority raised to %s", ticket_id, ticket.priority)
    await desk.refresh_card(ctx.notifier, ctx.settings, ticket, now)
    return Result.ok(ticket=ticket_data(ticket, now))


@action(outcomes=("ok", "empty", "elsewhere"), provides=("tickets", "total"))
async def queue(ctx: ActionContext) -> Result:
    """``/queue``: open tickets, most urgent first, then oldest first, with their age."""
    desk = ctx.services.get(Desk)
    if not desk.in_manager_chat(ctx):
        return Result.of("elsewhere")
    with store_errors():
        tickets = await desk.store.open_tickets(limit=QUEUE_LIMIT)
        total = await desk.store.count_open() if len(tickets) >= QUEUE_LIMIT else len(tickets)
    if not tickets:
        return Result.of("empty", tickets=[], total=0)
    now = ctx.now()
    return Result.ok(tickets=[ticket_data(t, now) for t in tickets], total=total)


@action(outcomes=("ok", "empty", "elsewhere"), provides=("managers", "days"))
async def stats(ctx: ActionContext, *, days: int | None = None) -> Result:
    """``/stats [DAYS]``: per manager, tickets taken and done and the median time to done."""
    desk = ctx.services.get(Desk)
    if not desk.in_manager_chat(ctx):
        return Result.of("elsewhere")
    period = min(days, MAX_STATS_DAYS) if days is not None else DEFAULT_STATS_DAYS
    with store_errors():
        found = await desk.store.stats(since=ctx.now() - timedelta(days=max(period, 1)))
    rows = stats_data(found)
    return Result.of("ok" if rows else "empty", managers=rows, days=max(period, 1))
