"""A delivered report's PDF for the API and the admin panel: from the S3 archive when it was archived
(its checksum verified), else from Telegram by the file id the manager sent it with."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from aiogram.exceptions import TelegramAPIError

from actions.tickets.archive import ChecksumMismatch, Fetch
from actions.tickets.desk_service import Desk, store_errors
from actions.tickets.store import TicketView
from engine.errors import ServiceUnavailable

__all__ = ["NoReport", "Report", "read_report"]

log = logging.getLogger("actions.tickets")


class NoReport(Exception):
    """The ticket has no delivered report (not DONE yet, or finished before reports were kept)."""


@dataclass(frozen=True)
class Report:
    data: bytes
    sha256: str
    source: str  # "archive" or "telegram"

    @property
    def file_name(self) -> str:
        return f"report-{self.sha256[:12]}.pdf"


async def read_report(desk: Desk, ticket: TicketView, fetch: Fetch) -> Report:
    """The PDF of ``ticket``'s latest delivery. Raises :class:`NoReport`, or ServiceUnavailable when
    neither the archive nor Telegram gives it back intact."""
    with store_errors():
        deliveries = await desk.store.deliveries(ticket.id)
    archived = [d for d in deliveries if d.archive_key]
    if desk.archive is not None and archived:
        key = archived[-1].archive_key
        assert key is not None
        try:
            stored = await desk.archive.read(key)
            return Report(stored.data, stored.sha256, "archive")
        except ChecksumMismatch as exc:
            log.error("ticket %s: the archived report is damaged: %s", ticket.id, exc)
        except Exception as exc:  # the store is down: Telegram still has the file
            log.warning("ticket %s: the archive did not answer (%s); reading from Telegram",
                        ticket.id, exc)
    file_id = deliveries[-1].file_id if deliveries else ticket.report_file_id
    if not file_id:
        raise NoReport(f"ticket {ticket.id} has no report")
    try:
        data = await fetch(file_id)
    except TelegramAPIError as exc:
        raise ServiceUnavailable(f"Telegram did not give the report of ticket {ticket.id}: {exc}") \
            from exc
    return Report(data, hashlib.sha256(data).hexdigest(), "telegram")
