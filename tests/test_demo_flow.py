"""The demo café, clicked through end to end on the real dispatcher and the Bot API emulator.

Each test is run twice: with the in-process session and with aiogram's aiohttp session over
loopback HTTP and long polling. Every Bot API call is validated by the emulator; a test fails if
any call was refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.testing import Actor, Playground

NBSP = "\u202f"


@pytest.fixture(params=["memory", "http"])
async def play(request: pytest.FixtureRequest, demo_path: Path) -> AsyncIterator[Playground]:
    async with Playground.open(demo_path, transport=request.param) as playground:
        yield playground
        assert playground.rejected_calls() == []


async def start(play: Playground, name: str = "Alice") -> Actor:
    user = play.user(name, language_code="ru")
    await user.send("/start")
    return user


async def test_start_greets_the_user_by_name_with_the_main_menu(play: Playground) -> None:
    alice = await start(play)
    assert "Здравствуйте, Alice!" in (alice.last.text or "")
    assert alice.buttons() == ["☕ Напитки", "✍️ Отзыв"]


async def test_texts_follow_the_users_telegram_language(play: Playground) -> None:
    bob = play.user("Bob", language_code="en")
    await bob.send("/start")
    assert "Hello, Bob!" in (bob.last.text or "")
    aziz = play.user("Aziz", language_code="uz")
    await aziz.send("/start")
    assert "Assalomu alaykum, Aziz!" in (aziz.last.text or "")


async def test_an_unknown_language_falls_back_to_russian(play: Playground) -> None:
    hans = play.user("Hans", language_code="de")
    await hans.send("/start")
    assert "Здравствуйте, Hans!" in (hans.last.text or "")


async def test_the_drinks_list_is_paged_four_at_a_time(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    assert alice.buttons()[:4] == [f"Espresso — 12{NBSP}000", f"Cappuccino — 18{NBSP}000",
                                   f"Latte — 19{NBSP}000", f"Flat white — 21{NBSP}000"]
    assert "1 / 2" in alice.buttons()
    await alice.click("›")
    assert alice.buttons()[:2] == [f"Raf <vanilla> — 23{NBSP}000", f"Hot chocolate — 17{NBSP}000"]
    assert "2 / 2" in alice.buttons()


async def test_navigation_edits_the_same_message(play: Playground) -> None:
    alice = await start(play)
    first = alice.last.message_id
    await alice.click("☕ Напитки")
    assert alice.last.message_id == first
    assert alice.last.edited


async def test_ordering_two_cups_shows_the_total(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    await alice.click(f"Espresso — 12{NBSP}000")
    assert "Сколько чашек?" in (alice.last.text or "")
    await alice.click("+")
    assert "2 шт." in alice.buttons()
    await alice.click("Заказать")
    assert alice.last.text == f"Заказ принят: Espresso × 2, к оплате 24{NBSP}000\xa0сум."


async def test_item_names_are_escaped_in_html(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    await alice.click("›")
    await alice.click(f"Raf <vanilla> — 23{NBSP}000")
    sent = play.calls("editMessageText")[-1].params["text"]
    assert "Raf &lt;vanilla&gt;" in sent
    assert (alice.last.text or "").startswith("Raf <vanilla>")


async def test_a_sold_out_drink_returns_to_the_list_with_a_toast(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    await alice.click("›")
    await alice.click(f"Hot chocolate — 17{NBSP}000")
    await alice.click("Заказать")
    assert "Выберите напиток" in (alice.last.text or "")
    answers = [a.text for a in play.emulator.callback_answers]
    assert "Этот напиток закончился" in answers


async def test_back_returns_to_the_previous_window(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    await alice.click(f"Latte — 19{NBSP}000")
    await alice.click("⬅️ Назад")
    assert "Выберите напиток" in (alice.last.text or "")
    await alice.click("⬅️ Назад")
    assert "Здравствуйте" in (alice.last.text or "")


async def test_too_short_feedback_is_refused_and_the_step_kept(play: Playground) -> None:
    alice = await start(play)
    await alice.click("✍️ Отзыв")
    await alice.send("ok")
    refusal, prompt = alice.texts()[-2:]
    assert refusal == "Слишком коротко: нужно хотя бы 3 символа."
    assert prompt.startswith("Напишите, что вам понравилось")
    await alice.send("Очень вкусный кофе")
    assert "Поделитесь номером" in (alice.last.text or "")


async def test_a_forged_contact_is_refused_and_the_own_one_accepted(play: Playground) -> None:
    alice = await start(play)
    mallory = play.user("Mallory")
    await alice.click("✍️ Отзыв")
    await alice.send("Очень вкусный кофе")
    assert alice.reply_buttons() == ["📱 Поделиться номером", "Пропустить"]
    await alice.share_contact("998901112233", contact_user_id=mallory.id)
    assert "Пожалуйста, поделитесь своим номером кнопкой ниже." in alice.texts()[-2:]
    assert alice.reply_buttons() == ["📱 Поделиться номером", "Пропустить"]
    await alice.press("📱 Поделиться номером", phone_number="+998 90 123 45 67")
    assert alice.last.text == "Спасибо за отзыв! Мы свяжемся с вами по номеру +998 90 123 45 67."


async def test_a_reply_keyboard_button_works_like_an_inline_one(play: Playground) -> None:
    alice = await start(play)
    await alice.click("✍️ Отзыв")
    await alice.send("Очень вкусный кофе")
    await alice.press("Пропустить")
    assert alice.last.text == "Спасибо за отзыв!"


async def test_a_button_of_an_outdated_menu_says_so_and_opens_the_menu(play: Playground) -> None:
    alice = await start(play)
    await play.forget_state()  # a restart without Redis, or a state that expired
    await alice.click("☕ Напитки")
    answers = [a.text for a in play.emulator.callback_answers]
    assert "Это меню устарело — открываю главное." in answers
    assert "Здравствуйте" in (alice.last.text or "")


async def test_two_users_do_not_share_state(play: Playground) -> None:
    alice = await start(play)
    bob = await start(play, "Bob")
    await alice.click("☕ Напитки")
    assert "Выберите напиток" in (alice.last.text or "")
    assert "Здравствуйте, Bob!" in (bob.last.text or "")
    await bob.click("✍️ Отзыв")
    assert "Выберите напиток" in (alice.last.text or "")


async def test_a_window_entered_anew_starts_its_counter_and_pages_afresh(play: Playground) -> None:
    alice = await start(play)
    await alice.click("☕ Напитки")
    await alice.click("›")
    await alice.click(f"Raf <vanilla> — 23{NBSP}000")
    await alice.click("+")
    assert "2 шт." in alice.buttons()
    await alice.click("⬅️ Назад")
    assert "2 / 2" in alice.buttons(), "back returns to the page the user left"
    await alice.click(f"Hot chocolate — 17{NBSP}000")
    assert "1 шт." in alice.buttons(), "another drink starts at one cup"
    await alice.click("⬅️ Назад")
    await alice.click("⬅️ Назад")
    await alice.click("☕ Напитки")
    assert "1 / 2" in alice.buttons(), "the list opened again starts at its first page"
