"""Every widget and input kind, end to end on tests/fixtures/kitchen (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.testing import Actor, Playground

KITCHEN = Path(__file__).parent / "fixtures" / "kitchen" / "kitchen.yaml"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
async def play() -> AsyncIterator[Playground]:
    async with Playground.open(KITCHEN) as playground:
        yield playground
        assert playground.rejected_calls() == []


async def home(play: Playground) -> Actor:
    user = play.user("Ann")
    await user.send("/start")
    return user


async def test_a_widget_whose_condition_is_false_is_not_shown(play: Playground) -> None:
    user = await home(play)
    assert "Секрет" not in user.buttons()
    async with Playground.open(KITCHEN, environ={"SHOW_SECRET": "yes"}) as shown:
        other = shown.user("Bob")
        await other.send("/start")
        assert "Секрет" in other.buttons()


async def test_a_url_button_renders_its_template_unescaped(play: Playground) -> None:
    user = await home(play)
    button = user.last.button("Сайт")
    assert button.url == f"https://example.org/u/{user.id}?a=1&b=2"


async def test_a_number_input_refuses_text_and_out_of_range_and_keeps_a_whole_number(
    play: Playground,
) -> None:
    user = await home(play)
    await user.click("Возраст")
    await user.send("много")
    assert "Не подходит: not_a_number" in user.texts()
    await user.send("300")
    assert "Не подходит: out_of_range" in user.texts()
    await user.send("2.5")
    assert "Не подходит: not_integer" in user.texts()
    await user.send("42")
    assert user.last.text == "Дом. Возраст: 42."


async def test_a_location_is_accepted_from_the_reply_keyboard_window(play: Playground) -> None:
    user = await home(play)
    await user.click("Место")
    assert user.reply_buttons()[0] == "📍 Отправить место"
    await user.send_location(41.31, 69.28)
    assert user.last.text == "Дом. Место: 41.31."


async def test_a_document_input_checks_type_and_size(play: Playground) -> None:
    user = await home(play)
    await user.click("Файл")
    await user.send_document(b"hello", "a.txt", "text/plain")
    assert "Не подходит: wrong_type" in user.texts()
    await user.send_document(PDF * 100, "big.pdf", "application/pdf")
    assert "Не подходит: too_large" in user.texts()
    await user.send("просто текст")
    assert "Не подходит: wrong_kind" in user.texts()
    await user.send_document(PDF, "report.pdf", "application/pdf")
    assert user.last.text == "Дом. Файл: report.pdf."


async def test_a_server_side_pager_passes_the_page_to_the_load_action(play: Playground) -> None:
    user = await home(play)
    await user.click("Каталог")
    assert user.last.caption == "Страница 1 из 3: чай"
    assert user.buttons()[:2] == ["1 / 3", "›"]
    await user.click("›")
    assert user.last.caption == "Страница 2 из 3: кофе"
    assert user.buttons()[:3] == ["‹", "2 / 3", "›"]
    await user.click("›")
    assert user.last.caption == "Страница 3 из 3: какао"
    assert "›" not in user.buttons()


async def test_a_photo_comes_from_the_url_the_action_gives(play: Playground) -> None:
    user = await home(play)
    await user.click("Каталог")
    assert user.last.photo is not None
    edit = play.calls("editMessageMedia")[-1]
    assert edit.params["media"]["media"] == "https://cdn.example.org/0.jpg"


async def test_a_photo_telegram_cannot_fetch_falls_back_to_a_text_card(play: Playground) -> None:
    user = await home(play)
    play.emulator.fail_next("editMessageMedia", 400,
                            "Bad Request: wrong file identifier/HTTP URL specified")
    await user.click("Каталог")
    assert user.last.text == "Страница 1 из 3: чай"
    assert user.last.photo is None



async def test_a_photo_can_come_as_bytes_from_the_action(play: Playground) -> None:
    user = await home(play)
    await user.click("QR")
    assert user.last.photo is not None
    assert user.last.caption == "Ваш QR"
    assert play.emulator.file_bytes(user.last.photo.file_id).startswith(b"\x89PNG")


async def test_a_text_pattern_handler_takes_matching_messages(play: Playground) -> None:
    user = await home(play)
    await user.send("ABC-123")
    assert "Найден товар ABC-123" in user.texts()


async def test_a_new_photo_message_telegram_refuses_becomes_a_text_card(play: Playground) -> None:
    user = play.user("Ann")
    play.emulator.fail_next("sendPhoto", 400, "Bad Request: failed to get HTTP URL content")
    await user.send("/catalog")
    assert user.last.text == "Страница 1 из 3: чай"
    assert user.buttons()[:2] == ["1 / 3", "›"]
