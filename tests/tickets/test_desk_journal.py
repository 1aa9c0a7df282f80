"""The delivery journal as the desk's people meet it (scenarios/vin_report.yaml on the Bot API emulator): a
crash after the customer received the PDF but before the ticket was marked DONE never sends a second copy,
whether the manager sends the report again or the bot restarts; the customer is answered in the language
the ticket was opened in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import pytest

from actions.tickets.desk_service import Desk as DeskService
from actions.tickets.store import TicketStatus, TicketStore

from .desk_kit import PDF, VIN, Desk, open_desk

DELIVERED = "Отчёт по заявке №1 доставлен клиенту ✅"


def service(desk: Desk) -> DeskService:
    return desk.play.app.runtime.services.get(DeskService)


async def crash_after_sending(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> int:
    """Alice's ticket 1, taken by Ann, whose PDF reaches Alice; then the database connection is lost
    before the ticket is marked DONE (the journal row was written)."""
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    await desk.ann.click_data(card, "take:1")

    async def lost(*_: object, **__: object) -> NoReturn:
        raise ConnectionResetError("server closed the connection unexpectedly")

    store = service(desk).store
    monkeypatch.setattr(store, "finish", lost)
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    monkeypatch.undo()
    assert [m.document is not None for m in desk.alice.messages].count(True) == 1
    ticket = await store.get(1)
    assert ticket is not None
    assert ticket.status is TicketStatus.TAKEN
    [journal] = await store.deliveries(1)
    assert journal.settled_at is None
    return card


async def test_sending_the_report_again_after_a_crash_finishes_without_a_second_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as desk:
        card = await crash_after_sending(desk, monkeypatch)
        await desk.ann.send_document(PDF, "again.pdf", "application/pdf", reply_to=card)
        assert desk.ann.texts()[-1] == DELIVERED
        assert [m.document is not None for m in desk.alice.messages].count(True) == 1
        assert "Отчёт отправлен клиенту: Ann" in (desk.card_of(1).content or "")
        ticket = await service(desk).store.get(1)
        assert ticket is not None
        [journal] = await service(desk).store.deliveries(1)
        assert (ticket.status, ticket.report_file_id) == (TicketStatus.DONE, journal.file_id)


async def test_a_restart_after_a_crash_marks_the_ticket_done_and_the_sla_job_updates_its_card(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url) as desk:
        await crash_after_sending(desk, monkeypatch)
    async with open_desk(url) as restarted:  # the start-up reconciliation
        ticket = await service(restarted).store.get(1)
        assert ticket is not None
        assert ticket.status is TicketStatus.DONE
        assert [t.id for t in service(restarted).settled_at_start] == [1]
        await restarted.play.advance(timedelta(minutes=1))
        assert service(restarted).settled_at_start == []


async def test_the_customer_is_answered_in_the_language_kept_on_the_ticket(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url) as desk:
        desk.alice.account.language_code = "en"
        await desk.alice.send(VIN)
        desk.alice.account.language_code = "ru"  # she switched her Telegram to Russian since
        store: TicketStore = service(desk).store
        ticket = await store.get(1)
        assert ticket is not None
        assert ticket.customer_locale == "en"
        card = desk.card_of(1).message_id
        await desk.ann.click_data(card, "take:1")
        await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
        report = desk.alice.last
        assert report.document is not None
        assert f"Report for VIN {VIN} (request #1)" in (report.content or "")
