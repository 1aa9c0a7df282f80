"""The managers' side of the VIN report bot, end to end through the Bot API emulator: cards, Take,
finishing with a PDF, the queue, priorities and statistics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from .desk_kit import PDF, VIN, VIN_US, Desk, open_desk


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened
        assert opened.play.rejected_calls() == []


async def open_ticket(desk: Desk, vin: str = VIN) -> int:
    await desk.alice.send(vin)
    return desk.card_of(len(desk.cards())).message_id


async def take(desk: Desk, card: int, ticket_id: int = 1) -> None:
    await desk.ann.click_data(card, f"take:{ticket_id}")
    assert desk.toast() == f"Заявка №{ticket_id} ваша"


def notices(desk: Desk) -> list[str]:
    return desk.ann.texts()


async def test_take_assigns_the_ticket_edits_the_card_and_tells_the_customer(desk: Desk) -> None:
    card = await open_ticket(desk)
    await desk.ann.click_data(card, "take:1")
    assert desk.toast() == "Заявка №1 ваша"
    shown = desk.card_of(1)
    assert shown.message_id == card
    assert shown.edited
    assert "В работе: Ann" in shown.content
    assert [b.text for row in shown.inline_buttons for b in row] == ["❓ Как закрыть", "⚡ Срочно"]
    assert "взял в работу менеджер" in desk.alice.last.content


async def test_an_outsider_in_the_group_cannot_take_or_finish(desk: Desk) -> None:
    card = await open_ticket(desk)
    await desk.eve.click_data(card, "take:1")
    assert "только менеджеры" in desk.toast()
    assert "ждёт менеджера" in desk.card_of(1).content
    await take(desk, card)
    await desk.eve.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert "только менеджеры" in desk.eve.texts()[-1]
    assert desk.alice.last.document is None


async def test_two_managers_pressing_take_at_once_get_exactly_one_winner(desk: Desk) -> None:
    card = await open_ticket(desk)
    await asyncio.gather(desk.ann.click_data(card, "take:1"), desk.bob.click_data(card, "take:1"))
    answers = sorted(str(c.params.get("text")) for c in desk.play.calls("answerCallbackQuery"))
    assert answers[0] == "Заявка №1 ваша"
    assert answers[1].startswith("Заявку №1 уже взял")
    winner = answers[1].rsplit(" ", 1)[1]
    assert winner in ("Ann", "Bob")
    assert f"В работе: {winner}" in desk.card_of(1).content
    assert len([m for m in desk.alice.messages if "взял в работу" in m.content]) == 1


async def test_how_to_finish_explains_both_ways(desk: Desk) -> None:
    card = await open_ticket(desk)
    await desk.eve.click_data(card, "hint:1")
    assert "/done 1" in desk.toast()
    assert "PDF" in desk.toast()


async def test_a_pdf_replied_to_the_card_reaches_the_customer_then_the_ticket_is_done(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    desk.clock.advance(timedelta(minutes=42))
    await desk.ann.send_document(PDF, "Carfax WDBEA.pdf", "application/pdf", reply_to=card)
    delivered = desk.alice.last
    assert delivered.document is not None
    assert desk.play.emulator.file_bytes(delivered.document.file_id) == PDF
    assert "Отчёт по VIN WDBEA30D3HA391172 (заявка №1)" in delivered.content
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"
    final = desk.card_of(1)
    assert "Отчёт отправлен клиенту: Ann" in final.content
    assert "за 42 мин" in final.content
    assert final.inline_buttons == []
    await desk.alice.send("/status")
    assert "отчёт отправлен" in desk.alice.last.content


async def test_done_command_as_the_caption_of_a_pdf(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", caption="/done 1")
    assert desk.alice.last.document is not None
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", caption="/done 1")
    assert desk.ann.texts()[-1] == "Заявка №1 уже закрыта"
    assert len([m for m in desk.alice.messages if m.document]) == 1  # never twice


async def test_done_without_a_pdf_or_a_number_explains_itself(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    await desk.ann.send("/done 1")
    assert "Пришлите PDF с подписью /done" in desk.ann.texts()[-1]
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", caption="/done")
    assert "Пришлите PDF с подписью /done" in desk.ann.texts()[-1]
    assert desk.alice.last.document is None


@pytest.mark.parametrize(("name", "mime"), [
    ("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("report.pdf", "image/jpeg"),  # a renamed picture
    ("report.jpg", "application/pdf"),
])
async def test_only_a_pdf_is_accepted(desk: Desk, name: str, mime: str) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    await desk.ann.send_document(b"not a pdf", name, mime, reply_to=card)
    assert desk.ann.texts()[-1] == "Нужен файл PDF (.pdf). Этот файл не принят."
    assert desk.alice.last.document is None
    assert "В работе" in desk.card_of(1).content


async def test_the_ticket_must_be_taken_and_by_the_sender(desk: Desk) -> None:
    card = await open_ticket(desk)
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == "Сначала возьмите заявку №1 кнопкой «Взять»"
    await take(desk, card)
    await desk.bob.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.bob.texts()[-1] == "Заявка №1 у другого менеджера: Ann"
    assert desk.alice.last.document is None


async def test_delivery_failure_is_reported_and_the_ticket_stays_taken(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    desk.play.emulator.block(desk.play.bot, desk.alice.account)
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert "не доставлен: клиент заблокировал бота" in desk.ann.texts()[-1]
    assert "В работе: Ann" in desk.card_of(1).content
    desk.play.emulator.unblock(desk.play.bot, desk.alice.account)
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"
    assert len([m for m in desk.alice.messages if m.document]) == 1


async def test_a_telegram_failure_while_delivering_keeps_the_ticket(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    desk.play.emulator.fail_next("sendDocument", 500, "Internal Server Error")
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert "Telegram не принял отчёт" in desk.ann.texts()[-1]
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"


async def test_ordinary_chatter_in_the_group_is_ignored(desk: Desk) -> None:
    card = await open_ticket(desk)
    before = len(desk.play.calls())
    await desk.eve.send("hi all, who is on duty today?")
    await desk.eve.send(VIN_US)  # a VIN in the group opens nothing
    await desk.ann.send("looking at it", reply_to=card)  # a text reply to a card
    await desk.ann.send_document(PDF, "notes.pdf", "application/pdf")  # a PDF without /done
    sent = [c.method for c in desk.play.calls()[before:]]
    assert not {"sendMessage", "sendDocument", "editMessageText"} & set(sent)
    assert len(desk.cards()) == 1


async def test_queue_lists_open_tickets_by_priority_then_age(desk: Desk) -> None:
    await desk.ann.send("/queue")
    assert desk.ann.texts()[-1] == "Очередь пуста 🎉"
    first = await open_ticket(desk, VIN)
    desk.clock.advance(timedelta(minutes=30))
    second = await open_ticket(desk, VIN_US)
    await take(desk, first, 1)
    desk.clock.advance(timedelta(minutes=95))
    await desk.bob.click_data(second, "prio:2")
    assert desk.toast() == "Приоритет заявки №2: 1"
    assert "⚡ приоритет 1" in desk.card_of(2).content
    await desk.eve.send("/queue")
    queue = desk.eve.texts()[-1]
    assert queue.startswith("📋 Очередь: 2 заявки")
    assert queue.index("№2") < queue.index("№1")
    assert "№2 · 1HGBH41JXMN109186 · 🆕 ждёт 1 ч 35 мин" in queue
    assert "№1 · WDBEA30D3HA391172 · 🛠 Ann, создана 2 ч 5 мин назад" in queue


async def test_priority_is_for_managers_and_open_tickets(desk: Desk) -> None:
    card = await open_ticket(desk)
    await desk.eve.click_data(card, "prio:1")
    assert "только менеджеры" in desk.toast()
    await desk.alice.send("/cancel 1")
    assert desk.card_of(1).inline_buttons == []  # a closed ticket's card has no buttons left


async def test_stats_per_manager(desk: Desk) -> None:
    await desk.ann.send("/stats")
    assert desk.ann.texts()[-1] == "За этот период заявок не брали"
    for index, vin in enumerate((VIN, VIN_US), start=1):
        card = await open_ticket(desk, vin)
        await take(desk, card, index)
        desk.clock.advance(timedelta(minutes=20 * index))
        await desk.ann.send_document(PDF, "r.pdf", "application/pdf", reply_to=card)
    card = await open_ticket(desk, "JT2AE09W4P0038539")
    await desk.bob.click_data(card, "take:3")
    await desk.bob.send("/stats 7")
    stats = desk.bob.texts()[-1]
    assert stats.startswith("📊 Менеджеры за 7 дней")
    assert "Ann: взял 2, закрыл 2, медиана до отчёта 30 мин" in stats
    assert "Bob: взял 1, закрыл 0" in stats
    await desk.bob.send("/stats week")
    assert "/stats 7" in desk.bob.texts()[-1]


async def test_manager_commands_are_ignored_in_other_groups(desk: Desk) -> None:
    await open_ticket(desk)
    other = desk.play.group("Friends", desk.play.actor(desk.ann.id))
    before = len(desk.play.calls("sendMessage"))
    await desk.ann.at(other).send("/queue")
    await desk.ann.at(other).send("/stats")
    assert len(desk.play.calls("sendMessage")) == before


async def test_a_pdf_over_twenty_megabytes_is_refused(desk: Desk) -> None:
    card = await open_ticket(desk)
    await take(desk, card)
    big = PDF + b"0" * (20 * 1024 * 1024)
    await desk.ann.send_document(big, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1].startswith("Файл больше 20 МБ")
    assert desk.alice.last.document is None
