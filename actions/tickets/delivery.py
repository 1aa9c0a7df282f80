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
4. on success mark the ticket DONE (and update the card); on failure release the claim and tell
   the manager why (the customer blocked the bot, or Telegram failed): the ticket stays TAKEN.
"""

from __future__ import annotations

import io
import logging

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
    if not claim.ok or claim.ticket is None:
        current = claim.ticket or ticket
        return Result.of(_refusal(claim.code, claim.ticket), ticket=ticket_data(current, now))
    held = claim.ticket
    try:
        genuine = await _is_pdf(ctx, document)
    except (TelegramAPIError, ClientError, OSError) as exc:  # OSError: timeouts too
        await desk.store.abort_delivery(held.id)
        log.warning("report of ticket %s not downloaded for the check: %s", held.id, exc)
        return Result.of("failed", ticket=ticket_data(held, now))
    except BaseException:
        await desk.store.abort_delivery(held.id)
        raise
    if not genuine:
        await desk.store.abort_delivery(held.id)
        log.warning("report of ticket %s refused: its content is not a PDF", held.id)
        return Result.of("not_pdf", ticket=ticket_data(held, now))
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
