"""Finishing a ticket: the assignee's PDF reaches the customer, then the ticket is DONE.

Two ways in: a reply to the ticket's card with the PDF, or the PDF with ``/done <id>`` as its
caption (the scenario's handlers check the file: PDF by type and name, within Telegram's size
limit). The order is fixed:

1. claim the delivery in the store (one conditional UPDATE: only the assignee, only a TAKEN
   ticket, only one delivery at a time, so a double send cannot deliver twice);
2. download the file (``getFile``: up to 20 MB, the handlers' limit) and check that it is a PDF
   by its content, the ``%PDF-`` header: a page or a program renamed ``.pdf`` with a PDF mime
   type is refused (``not_pdf``), the claim released, nothing sent to the customer;
3. send the document to the customer;
4. on success record the sent message in the delivery journal, then mark the ticket DONE (and
   update the card); on failure release the claim (only our own claim: it is identified by its
   assignee and moment) and tell the manager why (the customer blocked the bot, or Telegram
   failed): the ticket stays TAKEN. A ticket opened through the API for apps whose customer
   cannot be reached in Telegram is finished all the same: the app downloads the report.

A crash between 3 and 4 leaves a journal row without DONE: the next attempt (or the start-up
reconciliation, or the SLA job) marks the ticket DONE from the journal and sends no second copy.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiohttp import ClientError

from actions.tickets.desk_service import Desk, store_errors
from actions.tickets.store import TicketId, TicketStatus, TicketView, TransitionCode
from actions.tickets.views import ticket_data
from engine.actions import ActionContext, Document, Result, action

__all__ = ["finish_done", "finish_reply"]

log = logging.getLogger("actions.tickets")
OUTCOMES = ("ok", "not_manager", "not_found", "not_taken", "not_assignee", "closed", "delivering",
            "not_pdf", "blocked", "failed")
PDF_HEADER = b"%PDF-"
DOWNLOAD_TIMEOUT = 60  # seconds for up to 20 MB
APP_ONLY = 0  # the journal's message id of a report only the app's customer downloads


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
async def finish_done(ctx: ActionContext, *, ticket_id: TicketId) -> Result:
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


class _Head(io.BytesIO):
    """A download destination that keeps only the first bytes: the header is all that is read."""

    def write(self, data: bytes | bytearray | memoryview, /) -> int:  # type: ignore[override]
        room = len(PDF_HEADER) - self.tell()
        if room > 0:
            super().write(bytes(data[:room]))
        return len(data)


async def _is_pdf(ctx: ActionContext, document: Document) -> bool:
    """Whether the file's content starts with the PDF header (its name and type say nothing)."""
    head = _Head()
    await ctx.services.get(Bot).download(document.file_id, destination=head,
                                         timeout=DOWNLOAD_TIMEOUT)
    return head.getvalue() == PDF_HEADER


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
    if claim.code is TransitionCode.DELIVERED:  # sent before a crash, never marked DONE: finish that
        return await _settle(ctx, desk, ticket, now)
    if not claim.ok or claim.ticket is None or claim.ticket.delivery_started_at is None:
        current = claim.ticket or ticket
        return Result.of(_refusal(claim.code, claim.ticket), ticket=ticket_data(current, now))
    held, claimed_at = claim.ticket, claim.ticket.delivery_started_at

    async def release(outcome: str, reason: object) -> Result:
        if not await desk.store.abort_delivery(held.id, ctx.user.id, claimed_at=claimed_at):
            log.warning("delivery claim of ticket %s was no longer ours to release", held.id)
        desk.metrics.delivery_failed(outcome)
        log.warning("report of ticket %s not delivered (%s): %s", held.id, outcome, reason)
        return Result.of(outcome, ticket=ticket_data(held, now))

    try:
        genuine = await _is_pdf(ctx, document)
    except (TelegramAPIError, ClientError, OSError) as exc:  # OSError: timeouts too
        return await release("failed", f"not downloaded for the check: {exc}")
    except BaseException:
        await desk.store.abort_delivery(held.id, ctx.user.id, claimed_at=claimed_at)
        raise
    if not genuine:
        return await release("not_pdf", "its content is not a PDF")
    try:
        message_id = await ctx.notifier.send(
            "report", held.customer_chat_id, {"ticket": ticket_data(held, now)},
            locale=await desk.locale_of(held), document=document)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        if not (_unreachable(exc) and held.channel):
            return await release("blocked" if _unreachable(exc) else "failed", exc)
        # opened through the API by an app whose customer never started the bot: the app
        # downloads the report; the journal keeps it with no Telegram message
        log.info("ticket %s: the customer is not in Telegram; the report is for %s", held.id,
                 held.channel)
        message_id = APP_ONLY
    except TelegramAPIError as exc:
        return await release("failed", f"may be retried: {exc}")
    except BaseException:
        await desk.store.abort_delivery(held.id, ctx.user.id, claimed_at=claimed_at)
        raise
    with store_errors():  # the journal first: from here on the customer has the report
        journal = await desk.store.record_delivery(
            held.id, ctx.user.id, claimed_at=claimed_at, chat_id=held.customer_chat_id,
            message_id=message_id, file_id=document.file_id)
        if journal is None:
            log.error("ticket %s delivered as message %s but the claim was lost", held.id, message_id)
        done = await desk.store.finish(held.id, ctx.user.id, document.file_id)
    if done.ticket is None or not done.ok:  # cannot happen while we hold the claim
        log.error("ticket %s delivered but not marked done: %s", held.id, done.code)
        return Result.of("failed", ticket=ticket_data(held, now))
    ctx.log.info("ticket %s done", held.id)
    await desk.refresh_card(ctx.notifier, ctx.settings, done.ticket, now)
    return Result.ok(ticket=ticket_data(done.ticket, now))


async def _settle(ctx: ActionContext, desk: Desk, ticket: TicketView, now: datetime) -> Result:
    """The journal says the customer has the report already: mark the ticket DONE, send nothing."""
    with store_errors():
        await desk.store.reconcile(ticket.id)
        current = await desk.store.get(ticket.id) or ticket
    log.warning("ticket %s: report delivered before, marked done without a second copy", ticket.id)
    if current.status is not TicketStatus.DONE:
        return Result.of(_refusal(TransitionCode.WRONG_STATUS, current), ticket=ticket_data(current, now))
    await desk.refresh_card(ctx.notifier, ctx.settings, current, now)
    return Result.ok(ticket=ticket_data(current, now))
