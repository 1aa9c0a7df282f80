"""Handlers outside dialogs: commands with arguments, buttons of side messages in a group,
replies carrying a document; side messages through the notifier. On the test help desk
(tests/fixtures/desk)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.actions import Services
from engine.testing import Actor, Playground
from tests.fixtures.desk_actions.tickets import TicketBook

DESK = Path(__file__).parent / "fixtures" / "desk" / "desk.yaml"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class Desk:
    def __init__(self, play: Playground, book: TicketBook) -> None:
        self.play = play
        self.book = book
        self.customer = play.user("Carol")
        self.manager = play.user("Max")
        self.other = play.user("Olga")
        self.group = play.group("Managers", self.manager, self.other)
        self.in_group = self.manager.at(self.group)


@pytest.fixture(params=["memory", "http"])
async def desk(request: pytest.FixtureRequest) -> AsyncIterator[Desk]:
    book = TicketBook()
    services = Services({TicketBook: book})
    play_ctx = Playground.open(DESK, transport=request.param, services=services,
                               environ={"MANAGER_CHAT_ID": "0"})
    # the group id is only known once the playground exists: settings are resolved lazily below
    async with play_ctx as play:
        desk = Desk(play, book)
        play.app.runtime.settings._values["MANAGER_CHAT_ID"] = desk.group.id
        yield desk
        assert play.rejected_calls() == []


async def open_ticket(desk: Desk, code: str = "AB123") -> Actor:
    await desk.customer.send("/start")
    await desk.customer.send(code)
    return desk.customer


async def test_a_ticket_posts_a_card_with_a_take_button_to_the_group(desk: Desk) -> None:
    customer = await open_ticket(desk)
    assert customer.last.text == "Заявка №1 создана."
    card = desk.in_group.last
    assert card.text == "Заявка №1: AB123 от Carol"
    assert desk.in_group.buttons() == ["Взять"]
    assert card.buttons[0][0].callback_data == "take:1"


async def test_input_not_matching_the_pattern_is_refused(desk: Desk) -> None:
    await desk.customer.send("/start")
    await desk.customer.send("hello")
    assert "Код — 5 латинских букв или цифр" in desk.customer.texts()
    assert desk.book.tickets == {}


async def test_the_same_code_twice_is_refused_with_a_notice(desk: Desk) -> None:
    customer = await open_ticket(desk)
    await customer.click("Ещё заявка")
    await customer.send("AB123")
    assert "Такая заявка уже есть" in customer.texts()
    assert len(desk.book.tickets) == 1


async def test_take_in_the_group_edits_the_card_and_a_second_take_is_refused(desk: Desk) -> None:
    await open_ticket(desk)
    await desk.in_group.click("Взять")
    assert desk.in_group.last.text == "Заявка №1: AB123 от Carol — взял Max"
    assert desk.in_group.last.edited
    await desk.other.at(desk.group).click("Взять")
    answers = [a.text for a in desk.play.emulator.callback_answers]
    assert answers[-2:] == ["Заявка ваша", "Уже взята"]


async def test_a_command_with_arguments_replies_with_a_template(desk: Desk) -> None:
    customer = await open_ticket(desk)
    await customer.send("/status 1")
    assert customer.last.text == "Заявка №1: NEW"


async def test_a_command_with_bad_arguments_explains_the_syntax(desk: Desk) -> None:
    customer = await open_ticket(desk)
    await customer.send("/status one")
    assert customer.last.text == "Напишите номер заявки: /status 12"


async def test_another_customers_ticket_is_not_shown(desk: Desk) -> None:
    await open_ticket(desk)
    stranger = desk.play.user("Sam")
    await stranger.send("/status 1")
    assert stranger.last.text == "Нет такой заявки"


async def test_a_pdf_replied_to_the_card_reaches_the_customer(desk: Desk) -> None:
    customer = await open_ticket(desk)
    card = desk.in_group.last
    await desk.in_group.send_document(PDF, "report.pdf", "application/pdf", reply_to=card.message_id)
    document = customer.last.document
    assert document is not None
    assert document.file_name == "report.pdf"
    assert desk.in_group.last.text == "Отчёт отправлен клиенту"
    assert desk.book.tickets[1]["status"] == "DONE"


async def test_a_non_pdf_reply_is_refused(desk: Desk) -> None:
    await open_ticket(desk)
    card = desk.in_group.last
    await desk.in_group.send_document(b"hello", "notes.txt", "text/plain", reply_to=card.message_id)
    assert desk.in_group.last.text == "Нужен PDF"
    assert desk.book.tickets[1]["status"] == "NEW"


async def test_delivery_to_a_customer_who_blocked_the_bot_is_reported(desk: Desk) -> None:
    customer = await open_ticket(desk)
    desk.play.emulator.block(desk.play.bot, customer.account)
    card = desk.in_group.last
    await desk.in_group.send_document(PDF, "report.pdf", "application/pdf", reply_to=card.message_id)
    assert desk.in_group.last.text == "Клиент заблокировал бота: отчёт не доставлен"
    assert desk.book.tickets[1]["status"] == "NEW"


async def test_ordinary_chatter_in_the_group_is_ignored(desk: Desk) -> None:
    await open_ticket(desk)
    before = len(desk.in_group.messages)
    await desk.in_group.send("привет всем")
    assert len(desk.in_group.messages) == before


async def test_choosing_the_handler_of_an_update_never_hops_to_a_worker_thread(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiogram runs a filter that is not a coroutine in a thread (``asyncio.to_thread``) each
    time it tries a handler; the compiled chat-type and trigger filters are coroutines."""
    hops: list[object] = []
    real = asyncio.to_thread

    async def counted(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    customer = await open_ticket(desk)  # commands, text patterns, a dialog input
    await desk.in_group.click("Взять")  # a side message's button (callback: take)
    await desk.in_group.send("привет всем")  # a fall-back in the group
    assert customer.last.text == "Заявка №1 создана."
    assert [repr(h)[:300] for h in hops] == []


def line_col_of(after: str, key: str) -> str:
    """``line:col`` (1-based) of the first ``key`` written after the line holding ``after``."""
    lines = DESK.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    index = next(i for i in range(start, len(lines)) if key in lines[i])
    return f"{index + 1}:{lines[index].index(key) + 1}"


async def test_an_action_that_fails_logs_the_yaml_position_of_its_call(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    await open_ticket(desk)
    card = desk.in_group.last
    with caplog.at_level(logging.ERROR):
        emu, play = desk.play.emulator, desk.play  # no button sends take:99: the action fails
        await play.deliver(emu.forge_callback(play.bot, desk.group, desk.manager.account,
                                              card.message_id, "take:99"))
    where = f"desk.yaml:{line_col_of('- callback: take', 'action:')}"
    lines = [r.getMessage() for r in caplog.records if where in r.getMessage()]
    assert len(lines) == 1, caplog.text
    assert "action desk.tickets.take failed: KeyError: 99" in lines[0]
    answers = [a.text for a in desk.play.emulator.callback_answers]
    assert answers[-1] == "Ошибка"  # the user still gets the generic error (engine.error)
