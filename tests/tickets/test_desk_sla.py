"""SLA reminders and cards that could not be posted: the desk's background job, on a moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from .desk_kit import MANAGER_CHAT, PDF, VIN, VIN_EU, VIN_US, Desk, open_desk


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened
        assert opened.play.rejected_calls() == []


def reminders(desk: Desk) -> list[str]:
    return [t for t in desk.ann.texts() if t.startswith("⏰")]


async def test_a_new_ticket_nobody_takes_is_reminded_after_the_sla_then_throttled(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.play.advance(timedelta(minutes=14))
    assert reminders(desk) == []
    await desk.play.advance(timedelta(minutes=2))
    assert reminders(desk) == ["⏰ Заявки ждут\n\n№1 · WDBEA30D3HA391172 · никто не взял уже 16 мин"]
    for _ in range(29):  # every minute for the next half hour: no repetition
        await desk.play.advance(timedelta(minutes=1))
    assert len(reminders(desk)) == 1
    await desk.play.advance(timedelta(minutes=1))
    assert len(reminders(desk)) == 2
    assert "никто не взял уже 46 мин" in reminders(desk)[-1]


async def test_a_ticket_held_too_long_is_reminded_with_its_assignee(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
    await desk.play.advance(timedelta(minutes=59))
    assert reminders(desk) == []
    await desk.play.advance(timedelta(minutes=2))
    assert reminders(desk)[-1].endswith("№1 · WDBEA30D3HA391172 · у Ann уже 1 ч 1 мин")
    await desk.ann.send_document(PDF, "r.pdf", "application/pdf", reply_to=desk.card_of(1).message_id)
    await desk.play.advance(timedelta(hours=3))
    assert len(reminders(desk)) == 1  # done tickets are never reminded


async def test_many_late_tickets_make_one_message_most_urgent_first(desk: Desk) -> None:
    for vin in (VIN, VIN_US, VIN_EU):
        await desk.alice.send(vin)
    await desk.bob.click_data(desk.card_of(3).message_id, "prio:3")
    sent_before = len(desk.play.calls("sendMessage"))
    await desk.play.advance(timedelta(minutes=16))
    assert len(desk.play.calls("sendMessage")) == sent_before + 1
    lines = reminders(desk)[0].split("\n")[2:]
    assert [line.split(" ")[0] for line in lines] == ["№3", "№1", "№2"]
    assert "⚡1" in lines[0]


async def test_reminders_can_be_switched_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url, extra_env={"SLA_NEW_MINUTES": "0", "SLA_TAKEN_MINUTES": "0"}) as desk:
        await desk.alice.send(VIN)
        await desk.play.advance(timedelta(hours=5))
        assert reminders(desk) == []


async def test_a_card_telegram_refused_is_posted_later_and_works(desk: Desk) -> None:
    desk.play.emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 30",
                                 retry_after=30, chat_id=MANAGER_CHAT)
    await desk.alice.send(VIN)
    assert "Заявка №1 принята" in desk.alice.last.content  # the customer is not bothered
    assert desk.cards() == []
    await desk.play.advance(timedelta(minutes=2))
    card = desk.card_of(1)
    await desk.ann.click_data(card.message_id, "take:1")
    assert "В работе: Ann" in desk.card_of(1).content


async def test_a_failed_reminder_is_sent_at_the_next_run(desk: Desk) -> None:
    await desk.alice.send(VIN)
    desk.play.emulator.fail_next("sendMessage", 500, "Internal Server Error", chat_id=MANAGER_CHAT)
    await desk.play.advance(timedelta(minutes=16))
    assert reminders(desk) == []
    await desk.play.advance(timedelta(minutes=1))
    assert len(reminders(desk)) == 1
