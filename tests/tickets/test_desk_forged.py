"""Forged input on the VIN desk: callback data no button carries and ticket numbers no ticket can
have are answered "not found" (never the generic error, never a traceback), on SQLite and on
PostgreSQL; and a "PDF" that is not one never reaches the customer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from .desk_kit import PDF, VIN, Desk, open_desk

GENERIC_ERROR = "Что-то пошло не так"
FORGED_CALLBACKS = [
    "take:abc", "take:", "take:1' OR 1=1 --", "take:1:2", "take:+1", "take: 1", "take:١",
    "take:99999999999999999999", "take:-1", "take:2147483648", "take:9223372036854775808",
    "prio:99999999999999999999", "prio:1:2", "prio:x", "hint:99999999999999999999", "hint:",
]


@pytest.fixture
async def desk(database_url: str) -> AsyncIterator[Desk]:
    async with open_desk(database_url) as opened:
        yield opened
        assert opened.play.rejected_calls() == []


async def forge(desk: Desk, card: int, data: str) -> None:
    emu, play = desk.play.emulator, desk.play
    await play.deliver(emu.forge_callback(play.bot, desk.group, desk.ann.account, card, data))


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forged_callback_data_is_not_found(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    for data in FORGED_CALLBACKS:
        await forge(desk, card, data)
        assert desk.toast() == "Заявка не найдена", data
    assert errors(caplog) == []
    card_text = desk.card_of(1).content or ""
    assert "ждёт менеджера" in card_text  # take:1:2 did not take ticket 1
    assert "приоритет" not in card_text  # nor did prio:1:2 raise it
    await desk.ann.click_data(card, "take:1")  # the real button still works
    assert desk.toast() == "Заявка №1 ваша"


async def test_forged_ticket_numbers_in_commands_are_not_found(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    await desk.alice.send(VIN)
    await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
    for number in ("99999999999999999999", "9223372036854775808", "2147483648"):
        await desk.alice.send(f"/cancel {number}")
        assert desk.alice.texts()[-1] == "Такой заявки нет", number
        await desk.ann.send_document(PDF, "report.pdf", "application/pdf",
                                     caption=f"/done {number}")
        assert desk.ann.texts()[-1] == "Заявка не найдена", number
    await desk.alice.send("/cancel abc")  # not a number at all: how to use the command
    assert desk.alice.texts()[-1].startswith("Напишите /cancel")
    assert errors(caplog) == []
    assert not any(GENERIC_ERROR in t for t in desk.alice.texts() + desk.ann.texts())
    assert desk.alice.last.document is None
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", caption="/done 1")
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"


@pytest.mark.parametrize(("content", "name"), [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "report.pdf"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "report.pdf"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "Carfax.PDF"),
    (b"PDF report: see the attachment", "notes.pdf"),
])
async def test_a_renamed_file_is_not_delivered_as_a_report(
        desk: Desk, content: bytes, name: str) -> None:
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    await desk.ann.click_data(card, "take:1")
    await desk.ann.send_document(content, name, "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == ("Файл назван как PDF, но внутри не PDF — клиенту он не "
                                    "отправлен. Заявка №1 осталась в работе: пришлите настоящий PDF.")
    assert [m for m in desk.alice.messages if m.document] == []
    assert desk.play.calls("getFile")  # the content was read, not only the name and type
    assert "В работе: Ann" in (desk.card_of(1).content or "")
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"
    assert len([m for m in desk.alice.messages if m.document]) == 1


async def test_the_refusals_speak_every_language(database_url: str) -> None:
    async with open_desk(database_url) as desk:
        desk.ann.account.language_code = "uz"  # answers in the group: the manager's language
        john = desk.play.user("John", language_code="en")
        await john.send("/cancel 99999999999999999999")
        assert john.texts()[-1] == "No such request"
        await desk.alice.send(VIN)
        card = desk.card_of(1).message_id
        await forge(desk, card, "take:1:2")
        assert desk.toast() == "Ariza topilmadi"
        await desk.ann.click_data(card, "take:1")
        await desk.ann.send_document(b"<html></html>", "report.pdf", "application/pdf",
                                     reply_to=card)
        assert desk.ann.texts()[-1].startswith("Fayl PDF deb nomlangan, lekin ichida PDF emas")
        assert desk.play.rejected_calls() == []
