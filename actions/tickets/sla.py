"""The desk's background job (``jobs: {sla: ...}`` in the scenario): SLA reminders and lost cards.

Every run:

1. cards that could not be posted when their ticket was opened (Telegram down, flood limit) are
   posted now, a few per run;
2. NEW tickets not taken within SLA_NEW_MINUTES and TAKEN ones not done within
   SLA_TAKEN_MINUTES are listed in **one** reminder message in the managers' chat; a ticket is
   mentioned again only after SLA_REMIND_EVERY_MINUTES. One message per run at most keeps the
   bot far below Telegram's limit of 20 messages a minute in a group. 0 minutes turns a kind of
   reminder off.

Before that, reports the delivery journal says were delivered but whose ticket a crash left TAKEN
are marked DONE (their cards updated), and the monitoring gauges (tickets by status, SLA
breaches, the outbox) are refreshed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram.exceptions import TelegramAPIError

from actions.tickets.desk_service import Desk
from actions.tickets.store import TicketStatus
from actions.tickets.views import ticket_data
from engine.actions import ActionContext, Result, action

__all__ = ["remind"]

log = logging.getLogger("actions.tickets")
REMINDER_LIST_LIMIT = 15
REPOST_PER_RUN = 5
REPOST_AFTER = timedelta(minutes=1)
NEVER = timedelta(days=36500)


def _minutes(ctx: ActionContext, name: str) -> timedelta:
    value = int(ctx.settings.get(name) or 0)
    return timedelta(minutes=value) if value > 0 else NEVER


@action(outcomes=("ok",))
async def remind(ctx: ActionContext) -> Result:
    desk = ctx.services.get(Desk)
    now = ctx.now()
    for finished in [*desk.settled_at_start, *await desk.store.reconcile()]:
        await desk.refresh_card(ctx.notifier, ctx.settings, finished, now)
    desk.settled_at_start.clear()
    for ticket in await desk.store.unposted(REPOST_AFTER, limit=REPOST_PER_RUN):
        if not await desk.post_card(ctx.notifier, ctx.settings, ticket, now):
            break  # Telegram still refuses: try again next run
    new_after = _minutes(ctx, "SLA_NEW_MINUTES")
    taken_after = _minutes(ctx, "SLA_TAKEN_MINUTES")
    breaching = await desk.store.due_reminders(new_after, taken_after, timedelta(0))
    desk.metrics.breaches(sum(t.status is TicketStatus.NEW for t in breaching),
                          sum(t.status is TicketStatus.TAKEN for t in breaching))
    await desk.metrics.refresh(desk.store, desk.outbox)
    if new_after is NEVER and taken_after is NEVER:
        return Result.ok()
    due = await desk.store.due_reminders(new_after, taken_after,
                                         _minutes(ctx, "SLA_REMIND_EVERY_MINUTES"))
    if not due:
        return Result.ok()
    shown = [ticket_data(t, now) for t in due[:REMINDER_LIST_LIMIT]]
    try:
        await ctx.notifier.send("reminder", desk.manager_chat(ctx.settings),
                                {"tickets": shown, "more": len(due) - len(shown)},
                                locale=desk.manager_locale(ctx.settings))
    except TelegramAPIError as exc:
        log.warning("SLA reminder not sent (tried again next run): %s", exc)
        return Result.ok()
    await desk.store.mark_reminded(t.id for t in due)
    log.info("SLA reminder about %d ticket(s)", len(due))
    return Result.ok()
