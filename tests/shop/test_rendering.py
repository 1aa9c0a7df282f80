"""What the customer sees of the orders bot's windows: only messages a template wrote (the reply
keyboard of the phone and location steps is taken away without a stray "..."), no Bot API call
wasted on an edit that changes nothing, and cards that fit Telegram's limits whatever REGOS holds
(a 4,505-character description, a 5,000-character name)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal

import pytest

from actions.regos.emulator.shop import ShopItem, StockLevel
from engine.playground.botapi import ChatMessage
from engine.testing import Actor, Playground
from tests.shop.conftest import KNOWN_PHONE, ORDERS, Regos, identify, open_item, start

LAT, LON = 41.311081, 69.240562
LONG_DESCRIPTION_ID, LONG_NAME_ID = 901, 902
#: REGOS text with everything that must be escaped, repeated past Telegram's limits
PARAGRAPH = "Состав: мука & вода <высший сорт>, «без ГМО»; хранить при t < 25 °C. "


def long_text(size: int, unit: str) -> str:
    return (unit * (size // len(unit) + 1))[:size]


@pytest.fixture
async def play(regos: Regos, clock: Callable[[], datetime]) -> AsyncIterator[Playground]:
    """The demo shop plus two items as REGOS may hold them: a 4,505-character description
    (no picture: a text card) and a 5,000-character name (with a picture: a photo card)."""
    shop = regos.emu.shop
    shop.items[LONG_DESCRIPTION_ID] = ShopItem(
        id=LONG_DESCRIPTION_ID, name="Лаваш армянский тонкий", group_id=5, unit_id=1, code=1901,
        description=long_text(4505, PARAGRAPH), prices={1: Decimal(7000)},
        stock={1: StockLevel(Decimal(30))}, has_image=False)
    shop.items[LONG_NAME_ID] = ShopItem(
        id=LONG_NAME_ID, name=long_text(5000, "Набор «Ассорти» & <подарочный> "), group_id=5,
        unit_id=1, code=1902, prices={1: Decimal(50000)}, stock={1: StockLevel(Decimal(10))},
        has_image=True)
    async with Playground.open(ORDERS, environ=regos.environ(), clock=clock) as play:
        yield play


def label(play: Playground, key: str, **scope: object) -> str:
    return play.app.runtime.label(key, "ru", dict(scope))


def bot_messages_after(user: Actor, message_id: int) -> list[ChatMessage]:
    """The bot's messages the customer sees that came after ``message_id``."""
    return [m for m in user.messages if m.message_id > message_id]


def last_user_message_id(play: Playground, user: Actor) -> int:
    return max(m.message_id for m in play.emulator.messages(user.chat) if not m.from_bot)


# ---------------------------------------------------------------- item 4: no stray messages


async def test_sharing_the_phone_leaves_only_the_notice_and_the_window(play: Playground) -> None:
    alice = await start(play)
    await alice.click("💳 Карты")
    await alice.click("📱 Указать номер")
    assert play.emulator.reply_keyboard(alice.chat) is not None, "the phone step asks by a button"
    await alice.share_contact(KNOWN_PHONE)
    after = bot_messages_after(alice, last_user_message_id(play, alice))
    assert [m.content for m in after][:1] == [label(play, "phone.found")]
    assert len(after) == 2, [m.content for m in after]
    assert "Карты покупателя" in (after[1].content or "")
    assert "2000000012345" in (after[1].content or "")
    assert after[1].inline_buttons, "the cards window keeps its buttons"
    assert "..." not in alice.texts()
    assert play.emulator.reply_keyboard(alice.chat) is None, "the phone button is gone"
    assert play.rejected_calls() == []


async def test_cancelling_the_phone_step_removes_its_keyboard_without_a_stray_message(
        play: Playground) -> None:
    alice = await start(play)
    await alice.click("💳 Карты")
    await alice.click("📱 Указать номер")
    await alice.press("✖️ Отмена")
    after = bot_messages_after(alice, last_user_message_id(play, alice))
    assert len(after) == 1, [m.content for m in after]
    assert "Карты покупателя" in (after[0].content or "")
    assert after[0].inline_buttons
    assert play.emulator.reply_keyboard(alice.chat) is None
    assert play.rejected_calls() == []


async def test_sending_the_location_leaves_only_the_next_step(play: Playground,
                                                              regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5
                       and i.prices[1] >= 10000)[0]
    alice = await start(play)
    await identify(alice)
    await open_item(alice, item)
    await alice.send("3")
    await alice.click("🏠 Меню")
    await alice.click("✅ Оформить заказ")
    assert play.emulator.reply_keyboard(alice.chat) is not None, "the location step asks by a button"
    await alice.send_location(LAT, LON)
    after = bot_messages_after(alice, last_user_message_id(play, alice))
    assert len(after) == 1, [m.content for m in after]
    assert after[0].content == alice.last.content
    assert "Без комментария" in alice.buttons(), "the note step keeps its buttons"
    assert "..." not in alice.texts()
    assert play.emulator.reply_keyboard(alice.chat) is None, "the location button is gone"
    await alice.click("Без комментария")
    assert "Проверьте заказ" in alice.last.text
    assert play.rejected_calls() == []


# ---------------------------------------------------------------- item 8: no wasted edit


@pytest.mark.parametrize("picture", [True, False], ids=["photo card", "text card"])
async def test_a_refused_add_costs_only_the_toast(play: Playground, regos: Regos,
                                                  picture: bool) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and i.has_image == picture
                       and i.id < LONG_DESCRIPTION_ID)[0]
    regos.emu.shop.items[item.id].stock[1] = StockLevel(Decimal(1))
    alice = await start(play)
    await open_item(alice, item)
    await alice.click("➕ В корзину")
    card = alice.last.content
    before = len(play.calls())
    await alice.click("➕ В корзину")  # nothing more in stock: refused with a toast
    made = play.calls()[before:]
    assert [c.method for c in made] == ["answerCallbackQuery"], [
        (c.method, c.error_description) for c in made]
    assert "Больше добавить нельзя" in (made[0].params.get("text") or "")
    assert alice.last.content == card
    assert not [c for c in play.calls() if "not modified" in (c.error_description or "")]


async def test_a_changed_card_is_still_edited(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5
                       and i.id < LONG_DESCRIPTION_ID)[0]
    alice = await start(play)
    await open_item(alice, item)
    await alice.click("+")
    assert "2 шт" in alice.buttons()
    await alice.click("−")
    assert "1 шт" in alice.buttons(), "a keyboard-only change is shown"
    await alice.click("➕ В корзину")
    assert "В корзине: 1 шт" in alice.last.content


# ---------------------------------------------------------------- item 18: Telegram's limits


async def test_an_item_with_a_long_description_opens_fits_and_can_be_bought(
        play: Playground, regos: Regos) -> None:
    item = regos.emu.shop.items[LONG_DESCRIPTION_ID]
    alice = await start(play)
    await open_item(alice, item)
    card = alice.last
    assert card.photo is None
    text = card.text or ""
    assert item.name in text
    assert "Цена:" in text
    assert "Состав: мука & вода <высший сорт>" in text, "escaped, shown as written"
    assert len(text) <= 4096
    assert text.endswith("…")
    await alice.click("➕ В корзину")
    await alice.click("🛒 Корзина")
    assert item.name in alice.last.text
    assert not [t for t in alice.texts() if "Что-то пошло не так" in t]
    assert play.rejected_calls() == []


async def test_an_item_with_a_long_name_keeps_its_photo_and_can_be_bought(
        play: Playground, regos: Regos) -> None:
    item = regos.emu.shop.items[LONG_NAME_ID]
    alice = await start(play)
    await open_item(alice, item)
    card = alice.last
    assert card.photo is not None, "the picture is kept, the caption is shortened"
    caption = card.caption or ""
    assert caption.startswith(item.name[:100])
    assert caption.endswith("…")
    assert len(caption) <= 1024
    await alice.click("➕ В корзину")
    toast = play.emulator.callback_answers[-1].text or ""
    assert toast.startswith("Добавлено: Набор «Ассорти»")
    assert len(toast) <= 200
    await alice.click("🛒 Корзина")
    assert item.name[:50] in alice.last.text
    assert not [t for t in alice.texts() if "Что-то пошло не так" in t]
    assert play.rejected_calls() == []
