"""The desk service: the ticket store plus what actions share (managers, cards, locales).

One ``Desk`` per bot, built by :func:`actions.tickets.setup_package` and found by actions through
``ctx.services.get(Desk)``. Cards are posted and edited through the engine's notifier; a card that
cannot be posted (Telegram down, flood limit) leaves the ticket saved without a card, and the SLA
job posts it later, so no ticket is ever lost.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from sqlalchemy.exc import SQLAlchemyError

from actions.tickets.metrics import DeskMetrics
from actions.tickets.store import OutboxStore, TicketStore, TicketView
from actions.tickets.views import ticket_data
from engine.actions import ActionContext, NotifierProtocol
from engine.errors import ServiceUnavailable
from engine.runtime.storage import KeyValueStore

if TYPE_CHECKING:
    from actions.tickets.archive import ReportArchive
    from actions.tickets.relay import OutboxRelay

__all__ = ["Desk", "display_name", "store_errors"]

log = logging.getLogger("actions.tickets")
UNAVAILABLE_LABEL = "desk.unavailable"


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Database failures become one ServiceUnavailable with a user-facing label."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        raise ServiceUnavailable(f"ticket store: {exc}", user_message=UNAVAILABLE_LABEL) from exc


def display_name(ctx: ActionContext) -> str:
    """How a customer or a manager is named on cards: full name, else @username, else the id."""
    user = ctx.user
    if user.full_name:
        return user.full_name
    return f"@{user.username}" if user.username else str(user.id)


@dataclass
class Desk:
    """The ticket store and the desk's settings, as actions need them."""

    store: TicketStore
    kv: KeyValueStore
    bot_key: str = "tickets"
    metrics: DeskMetrics = field(default_factory=DeskMetrics)
    outbox: OutboxStore | None = None  # the relay's side, when webhooks or the archive are set up
    relay: OutboxRelay | None = None
    archive: ReportArchive | None = None
    #: tickets the start-up reconciliation marked DONE: the SLA job's first run updates their cards
    settled_at_start: list[TicketView] = field(default_factory=list)

    # ------------------------------------------------------------------ who is who

    @staticmethod
    def manager_chat(settings: Mapping[str, Any]) -> int:
        return int(settings["MANAGER_CHAT_ID"])

    @staticmethod
    def is_manager(settings: Mapping[str, Any], user_id: int) -> bool:
        return user_id in (settings.get("MANAGER_IDS") or ())

    def in_manager_chat(self, ctx: ActionContext) -> bool:
        return ctx.chat.id == self.manager_chat(ctx.settings)

    def may_act(self, ctx: ActionContext) -> bool:
        """A listed manager (MANAGER_IDS) acting in the managers' chat: may change tickets."""
        return self.in_manager_chat(ctx) and self.is_manager(ctx.settings, ctx.user.id)

    @staticmethod
    def manager_locale(settings: Mapping[str, Any]) -> str | None:
        return str(settings.get("MANAGER_LOCALE") or "") or None

    # ------------------------------------------------------------------ customers' languages

    def _locale_key(self, user_id: int) -> str:
        return f"tickets:{self.bot_key}:locale:{user_id}"

    async def locale_of(self, ticket: TicketView) -> str | None:
        """The language the customer used when opening ``ticket`` (kept on the ticket); for tickets
        opened before it was kept, the one an older version remembered in the key-value store."""
        if ticket.customer_locale:
            return ticket.customer_locale
        return await self.kv.get(self._locale_key(ticket.customer_user_id))

    async def tell_customer(self, notifier: NotifierProtocol, message: str, ticket: TicketView,
                            now: datetime) -> None:
        """A courtesy note to the ticket's customer (``message`` with ``ticket``), in their
        language; a customer who blocked the bot or never started it is not an error."""
        try:
            await notifier.send(message, ticket.customer_chat_id,
                                {"ticket": ticket_data(ticket, now)}, locale=await self.locale_of(ticket))
        except TelegramAPIError as exc:
            log.info("customer of ticket %s not told (%s): %s", ticket.id, message, exc)

    # ------------------------------------------------------------------ cards

    async def post_card(self, notifier: NotifierProtocol, settings: Mapping[str, Any],
                        ticket: TicketView, now: datetime) -> bool:
        """Post the ticket's card to the managers' chat and remember it; false on failure."""
        chat_id = self.manager_chat(settings)
        try:
            message_id = await notifier.send("card", chat_id, {"ticket": ticket_data(ticket, now)},
                                             locale=self.manager_locale(settings))
        except TelegramAPIError as exc:
            log.warning("card of ticket %s not posted (posted later): %s", ticket.id, exc)
            return False
        await self.store.set_card_message(ticket.id, message_id, chat_id=chat_id)
        return True

    async def refresh_card(self, notifier: NotifierProtocol, settings: Mapping[str, Any],
                           ticket: TicketView, now: datetime) -> None:
        """Show the ticket's current state on its card (when it has one). Failures are logged:
        the ticket's state is already saved and is what counts."""
        if ticket.card_message_id is None or ticket.card_chat_id is None:
            return
        try:
            await notifier.edit("card", ticket.card_chat_id, ticket.card_message_id,
                                {"ticket": ticket_data(ticket, now)},
                                locale=self.manager_locale(settings))
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("card of ticket %s not updated: %s", ticket.id, exc)
        except TelegramAPIError as exc:
            log.warning("card of ticket %s not updated: %s", ticket.id, exc)
