"""Finishing a ticket: the assignee's PDF reaches the customer, then the ticket is DONE.

Two ways in: a reply to the ticket's card with the PDF, or the PDF with ``/done <id>`` as its
caption (the scenario's handlers check the file: PDF by type and name, within Telegram's size
limit). The order is fixed:

1. claim the delivery in the store (one conditional UPDATE: only the assignee, only a TAKEN
   ticket, only one delivery at a time, so a double send cannot deliver twice);
2. send the document to the customer;
3. on success mark the ticket DONE (and update the card); on failure release the claim and tell
   the manager why (the customer blocked the bot, or Telegram failed): the ticket stays TAKEN.
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError

from actions.tickets.desk_service import Desk, store_errors
from actions.tickets.store import TicketStatus, TicketView, TransitionCode
from actions.tickets.views import ticket_data
from engine.actions import ActionContext, Result, action

__all__ = ["finish_done", "finish_reply"]

log = logging.getLogger("actions.tickets")
OUTCOMES = ("ok", "not_manager", "not_found", "not_taken", "not_assignee", "closed", "delivering",
            "blocked", "failed")


@action(outcomes=OUTCOMES, provides=("ticket",))
async def finish_reply(ctx: ActionContext) -> Result:
    """A manager replied to a ticket's card with the report."""
    desk = ctx.services.get(Desk)
    card = ctx.event.reply_to_message_id
    if card is None:
        return Result.of("not_found")
    with store_errors():
        ticket = await desk.store.by_card_message(card, chat_id=ctx.chat.id)
    return await _finish(ctx, desk, ticket)


@action(outcomes=OUTCOMES, provides=("ticket",))
async def finish_done(ctx: ActionContext, *, ticket_id: int) -> Result:
    """A manager sent the report with ``/done <id>`` as its caption."""
    desk = ctx.services.get(Desk)
    with store_errors():
        ticket = await desk.store.get(ticket_id)
    return await _finish(ctx, desk, ticket)


def _unreachable(exc: TelegramAPIError) -> bool:
    """The customer cannot receive messages: blocked the bot, deleted the account or the chat."""
    text = str(exc).lower()
    return isinstance(exc, TelegramForbiddenError) or "chat not found" in text \
        or "deactivated" in text


def _refusal(code: TransitionCode, ticket: TicketView | None) -> str:
    if code is TransitionCode.NOT_ASSIGNEE:
        return "not_assignee"
    if code is TransitionCode.DELIVERING:
        return "delivering"
    if code is TransitionCode.WRONG_STATUS and ticket is not None:
        return "not_taken" if ticket.status is TicketStatus.NEW else "closed"
    return "not_found"


async def _finish(ctx: ActionContext, desk: Desk, ticket: TicketView | None) -> Result:
    if not desk.may_act(ctx):
        return Result.of("not_manager")
    if ticket is None:
        return Result.of("not_found")
    document = ctx.event.document
    assert document is not None, "the scenario's handler requires a document"
    now = ctx.now()
    with store_errors():
        claim = await desk.store.begin_delivery(ticket.id, ctx.user.id)
    if not claim.ok or claim.ticket is None:
        current = claim.ticket or ticket
        return Result.of(_refusal(claim.code, claim.ticket), ticket=ticket_data(current, now))
    held = claim.ticket
    try:
        await ctx.notifier.send("report", held.customer_chat_id, {"ticket": ticket_data(held, now)},
                                locale=await desk.locale_of(held.customer_user_id),
                                document=document)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        await desk.store.abort_delivery(held.id)
        log.warning("report of ticket %s not delivered: %s", held.id, exc)
        outcome = "blocked" if _unreachable(exc) else "failed"
        return Result.of(outcome, ticket=ticket_data(held, now))
    except TelegramAPIError as exc:
        await desk.store.abort_delivery(held.id)
        log.warning("report of ticket %s not delivered, may be retried: %s", held.id, exc)
        return Result.of("failed", ticket=ticket_data(held, now))
    except BaseException:
        await desk.store.abort_delivery(held.id)
        raise
    with store_errors():
        done = await desk.store.finish(held.id, ctx.user.id, document.file_id)
    if done.ticket is None or not done.ok:  # cannot happen while we hold the claim
        log.error("ticket %s delivered but not marked done: %s", held.id, done.code)
        return Result.of("failed", ticket=ticket_data(held, now))
    ctx.log.info("ticket %s done", held.id)
    await desk.refresh_card(ctx.notifier, ctx.settings, done.ticket, now)
    return Result.ok(ticket=ticket_data(done.ticket, now))
