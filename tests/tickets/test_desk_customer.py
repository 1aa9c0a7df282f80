"""The customer's side of the VIN report bot, end to end through the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from .desk_kit import VIN, VIN_EU, VIN_US, Desk, open_desk


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened
        assert opened.play.rejected_calls() == []


async def test_start_explains_how_it_works(desk: Desk) -> None:
    await desk.alice.send("/start")
    assert "Пришлите VIN" in desk.alice.last.content
    assert desk.alice.buttons() == ["📋 Мои заявки"]


async def test_a_valid_vin_opens_a_ticket_and_posts_a_card_to_the_managers(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(" wdbea30d3-ha391172 ")  # lower case, spaces and a dash are fine
    assert "Заявка №1 принята" in desk.alice.last.content
    assert VIN in desk.alice.last.content
    card = desk.card_of(1)
    assert VIN in card.content
    assert "Alice Smith" in card.content
    assert "02.03.2026 11:00" in card.content  # created, in Tashkent time
    assert [b.text for row in card.inline_buttons for b in row] == \
        ["🙋 Взять", "❓ Как закрыть", "⚡ Срочно"]


async def test_cyrillic_look_alikes_are_read_as_latin(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send("WDВЕА30D3НА391172")  # В, Е, А, Н typed on a Cyrillic layout
    assert "Заявка №1 принята" in desk.alice.last.content
    assert VIN in desk.card_of(1).content


@pytest.mark.parametrize(("sent", "expected"), [
    ("WDBEA30D3HA39117", "а здесь 16"),
    ("WDBEA30D3HA3911722", "а здесь 18"),
    ("WDBEA30D3HA39117!", "«!»"),
    ("WDBEA30D3HO391172", "Возможно, имелось в виду: WDBEA30D3H0391172"),
    ("1HGBH41J1MN109186", "ожидалась «X», а указана «1»"),  # North American: enforced
])
async def test_a_malformed_vin_is_explained_and_opens_nothing(desk: Desk, sent: str,
                                                              expected: str) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(sent)
    assert "Это не похоже на VIN" in desk.alice.last.content
    assert expected in desk.alice.last.content
    assert desk.cards() == []
    await desk.alice.send(VIN)  # the same window takes the corrected VIN
    assert "Заявка №1 принята" in desk.alice.last.content


async def test_a_european_vin_without_check_digit_is_accepted_with_a_caution(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(VIN_EU)
    assert "Заявка №1 принята" in desk.alice.last.content
    assert "контрольная цифра не сходится" in desk.alice.last.content
    assert "⚠️" in desk.card_of(1).content


async def test_a_vin_works_without_start_after_a_restart(desk: Desk) -> None:
    await desk.alice.send(VIN)
    assert "Заявка №1 принята" in desk.alice.last.content
    await desk.play.forget_state()
    await desk.alice.send(VIN_US)
    assert "Заявка №2 принята" in desk.alice.last.content
    await desk.alice.send("/unknown")
    assert "Пришлите VIN" in desk.alice.last.content  # a command is not a VIN


async def test_a_second_open_ticket_for_the_same_vin_is_refused_with_its_number(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(VIN)
    await desk.alice.send(VIN.lower())
    assert "уже есть заявка №1" in desk.alice.last.content
    assert len(desk.cards()) == 1


async def test_new_tickets_per_hour_are_limited(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url, extra_env={"TICKETS_PER_HOUR": "2"}) as desk:
        await desk.alice.send("/start")
        await desk.alice.send(VIN)
        await desk.alice.send(VIN_US)
        await desk.alice.send(VIN_EU)
        assert "Слишком много заявок" in desk.alice.last.content
        assert "через 60 минут" in desk.alice.last.content
        assert len(desk.cards()) == 2
        await desk.play.advance(timedelta(minutes=61))
        await desk.alice.send(VIN_EU)
        assert "Заявка №3 принята" in desk.alice.last.content


async def test_status_lists_the_customers_tickets_newest_first(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(VIN)
    await desk.alice.send(VIN_US)
    await desk.alice.send("/status")
    text = desk.alice.last.content
    assert text.index("№2") < text.index("№1")
    assert text.count("ждёт менеджера") == 2
    assert desk.alice.buttons() == ["✖️ Отменить №2", "✖️ Отменить №1", "🏠 В начало"]


async def test_status_of_a_customer_without_tickets(desk: Desk) -> None:
    await desk.alice.send("/status")
    assert "пока нет заявок" in desk.alice.last.content


async def test_cancel_by_button_updates_the_card(desk: Desk) -> None:
    await desk.alice.send("/start")
    await desk.alice.send(VIN)
    await desk.alice.send("/status")
    await desk.alice.click("✖️ Отменить №1")
    assert desk.toast() == "Заявка №1 отменена"
    assert "отменена" in desk.alice.last.content
    card = desk.card_of(1)
    assert "Отменена клиентом" in card.content
    assert card.inline_buttons == []
    await desk.alice.send(VIN)  # a canceled ticket no longer blocks the VIN
    assert "Заявка №2 принята" in desk.alice.last.content


async def test_cancel_command_with_a_number(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.alice.send("/cancel 1")
    assert "Заявка №1 отменена" in desk.alice.texts()[-2]
    await desk.alice.send("/cancel 1")
    assert "уже нельзя отменить" in desk.alice.texts()[-2] or \
        "уже нельзя отменить" in desk.alice.texts()[-1]
    await desk.alice.send("/cancel 99")
    assert "Такой заявки нет" in " ".join(desk.alice.texts()[-2:])
    await desk.alice.send("/cancel x")
    assert "/cancel 12" in desk.alice.last.content


async def test_a_taken_ticket_cannot_be_canceled(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
    await desk.alice.send("/cancel 1")
    assert "менеджер взял её в работу" in " ".join(desk.alice.texts()[-2:])


async def test_someone_elses_ticket_cannot_be_canceled(desk: Desk) -> None:
    await desk.alice.send(VIN)
    mallory = desk.play.user("Mallory")
    await mallory.send("/cancel 1")
    assert "Такой заявки нет" in " ".join(mallory.texts())
    assert "ждёт менеджера" in desk.card_of(1).content


@pytest.mark.parametrize(("language", "created", "listed"), [
    ("uz", "№1", "№2 · 1HGBH41JXMN109186"),
    ("en", "#1", "#2 · 1HGBH41JXMN109186"),
])
async def test_the_customer_is_answered_in_their_language(tmp_path: Path, language: str,
                                                          created: str, listed: str) -> None:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as desk:
        desk.alice.account.language_code = language
        await desk.alice.send("/start")
        await desk.alice.send(VIN)
        assert created in desk.alice.last.content
        await desk.alice.send(VIN_US)
        await desk.alice.send("/status")
        lines = desk.alice.last.content.split("\n")
        assert lines[2].startswith(listed)
        assert lines[3].startswith(listed.replace("2", "1", 1)[:2])  # one line per ticket
        await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
        assert "WDBEA30D3HA391172" in desk.alice.last.content
        assert "взял" not in desk.alice.last.content  # the customer's language, not the managers'
        assert desk.play.rejected_calls() == []


async def test_a_database_outage_gets_a_clear_message_and_keeps_the_window(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from actions.tickets.desk_service import Desk as DeskService

    store = desk.play.app.runtime.services.get(DeskService).store

    async def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("connection refused"))

    await desk.alice.send("/start")
    with monkeypatch.context() as patch:
        patch.setattr(store, "create", down)
        await desk.alice.send(VIN)
    assert "База заявок сейчас недоступна" in desk.alice.texts()[-1]
    await desk.alice.send(VIN)  # the same window takes the VIN once the database is back
    assert "Заявка №1 принята" in desk.alice.last.content


async def test_the_command_menus_are_published_per_chat_kind_and_language(desk: Desk) -> None:
    calls = desk.play.calls("setMyCommands")
    menus = {(c.params["scope"]["type"], c.params.get("language_code")):
             [cmd["command"] for cmd in c.params["commands"]] for c in calls}
    assert menus[("all_private_chats", None)] == ["start", "help", "status", "cancel"]
    assert menus[("all_group_chats", None)] == ["done", "queue", "stats"]
    assert {lang for _, lang in menus} == {None, "uz", "en"}
    english = next(c for c in calls if c.params.get("language_code") == "en"
                   and c.params["scope"]["type"] == "all_private_chats")
    assert english.params["commands"][2] == {"command": "status", "description": "My requests"}
