"""Loyalty cards with balance and a QR code picture; my orders with their status."""

from __future__ import annotations

import sys

import pytest

from actions.regos.emulator.shop import ShopOrder
from engine.templates import format_money
from engine.testing import Playground
from tests.shop.conftest import KNOWN_PHONE, Regos, identify, open_item, start


async def test_cards_need_the_phone_first(play: Playground) -> None:
    bob = await start(play, "Bob")
    await bob.click("💳 Карты")
    assert "Поделитесь номером телефона" in bob.last.text
    assert "📱 Указать номер" in bob.buttons()


async def test_a_card_shows_its_balance_and_a_qr_code_photo(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await identify(alice)
    card = next(c for c in regos.emu.shop.cards.values() if c.barcode_value == "2000000012345")
    await alice.click(next(b for b in alice.buttons() if b.startswith("💳 2000000012345")))
    shown = alice.last
    assert shown.photo is not None, "the QR code is sent as a photo"
    assert shown.photo.url is None, "the QR code is an uploaded picture, not a URL"
    assert play.emulator.file_bytes(shown.photo.file_id).startswith(b"\x89PNG")
    caption = shown.caption or ""
    assert "Карта 2000000012345" in caption
    assert "Бонусы:" in caption
    assert "15" in caption
    assert card.customer_id in regos.emu.shop.customers


async def test_my_orders_lists_the_customers_orders_newest_first(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await identify(alice)
    await alice.click("🏠 Меню")
    await alice.click("📦 Мои заказы")
    text = alice.last.text
    assert "Мои заказы" in text
    mine = sorted((o for o in regos.emu.shop.orders.values() if o.customer_id is not None
                   and regos.emu.shop.customers[o.customer_id].main_phone == "998901234567"),
                  key=lambda o: o.date, reverse=True)
    assert mine, "the demo customer has orders"
    positions = [text.index(f"№{o.code}") for o in mine[:5]]
    assert positions == sorted(positions)
    query = regos.emu.calls_of("DocOrderDelivery/Get")[-1]
    assert query["sort_orders"] == [{"column": "Date", "direction": "DESC"}]


async def test_without_qrcode_installed_the_card_number_is_shown_as_text(
        play: Playground, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qrcode", None)  # import qrcode -> ImportError
    alice = await start(play)
    await identify(alice)
    await alice.click(next(b for b in alice.buttons() if b.startswith("💳 2000000012345")))
    assert alice.last.photo is None
    assert "Карта 2000000012345" in alice.last.text
    assert "Назовите номер карты на кассе." in alice.last.text


def demo_orders(regos: Regos) -> list[ShopOrder]:
    return sorted((o for o in regos.emu.shop.orders.values() if o.customer_id is not None
                   and regos.emu.shop.customers[o.customer_id].main_phone == "998901234567"),
                  key=lambda o: o.date, reverse=True)


@pytest.mark.parametrize(("language", "title", "words", "currency"), [
    ("ru", "Мои заказы", {"Finished": "Выполнен", "Canceled": "Отменён", "Delivering": "Delivering"},
     "сум"),
    ("uz", "Buyurtmalarim", {"Finished": "Bajarildi", "Canceled": "Bekor qilingan",
                             "Delivering": "Delivering"}, "so'm"),
    ("en", "My orders", {"Finished": "Completed", "Canceled": "Cancelled",
                         "Delivering": "Delivering"}, "UZS"),
])
async def test_my_orders_speak_the_users_language(play: Playground, regos: Regos, language: str,
                                                  title: str, words: dict[str, str],
                                                  currency: str) -> None:
    mine = demo_orders(regos)
    mine[0].status = "Delivering"  # a status the bot does not know: shown as REGOS writes it
    alice = play.user("Alice", language_code=language)
    await alice.send("/start")
    await alice.click(alice.buttons()[3])   # cards
    await alice.click(alice.buttons()[0])   # share the number
    await alice.share_contact("998901234567")
    await alice.click(alice.buttons()[-1])  # menu
    await alice.click(alice.buttons()[4])   # my orders
    text = alice.last.text
    assert title in text
    for order in mine:
        line = next(row for row in text.splitlines() if order.code in row)
        assert line.endswith(words[order.status]), line
        assert format_money(order.amount, language, currency) in line
    if language != "en":
        assert not any(english in text for english in ("Finished", "Canceled", "New"))
    assert "сум" not in text or language == "ru"


async def test_an_order_has_one_number_everywhere(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 2
                       and i.prices[1] >= 10000)[0]
    alice = await start(play)
    await identify(alice)
    await open_item(alice, item)
    await alice.send("2")
    await alice.click("🏠 Меню")
    await alice.click("✅ Оформить заказ")
    await alice.send_location(41.3, 69.2)
    await alice.click("Без комментария")
    await alice.click("✅ Подтвердить заказ")
    [new] = [o for o in regos.emu.shop.orders.values() if o.external_code
             and o.external_code.startswith(f"tg-{alice.chat.id}-")]
    assert f"Заказ №{new.code} оформлен" in alice.last.text
    await alice.click("📦 Мои заказы")
    assert f"№{new.code} от" in alice.last.text
    assert f"№{new.id} " not in alice.last.text


async def test_english_screens_show_english_units_and_currency(play: Playground,
                                                               regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 3)[0]
    bob = play.user("Bob", language_code="en")
    await bob.send("/start")
    await bob.click("🛍 Catalog")
    await bob.send(item.name[:60])
    await bob.click(next(b for b in bob.buttons() if b.startswith(f"{item.name} ·")))
    card = bob.last.content or ""
    assert "UZS" in card
    assert "сум" not in card
    assert f"In stock: {int(regos.stock(item))} pcs" in card
    await bob.click("+")
    assert "2 pcs" in bob.buttons()
    await bob.click("➕ Add to cart")
    await bob.click("🛒 Cart")
    assert f"{item.name} — 2 pcs" in bob.buttons()
    assert "UZS" in bob.last.text
    assert "сум" not in bob.last.text


async def test_a_contact_sent_on_the_cards_screen_links_the_customer(play: Playground) -> None:
    alice = await start(play)
    await alice.click("💳 Карты")
    await alice.share_contact(KNOWN_PHONE)  # 📎 → Contact, without pressing "📱 Указать номер"
    assert "Спасибо! Мы вас нашли" in alice.texts()
    assert "2000000012345" in alice.last.text
    assert any(b.startswith("💳 2000000012345") for b in alice.buttons())


async def test_somebody_elses_contact_on_the_cards_screen_is_refused(play: Playground,
                                                                     regos: Regos) -> None:
    alice = await start(play)
    mallory = await start(play, "Mallory")
    await mallory.click("💳 Карты")
    await mallory.share_contact(KNOWN_PHONE, contact_user_id=alice.id)
    assert "Можно поделиться только своим номером" in mallory.texts()
    assert "2000000012345" not in mallory.last.text
    assert not any(KNOWN_PHONE in str(call) for call in regos.emu.calls_of("RetailCustomer/Get")), \
        "refused before REGOS is asked"


async def test_the_cards_list_shows_each_cards_balance(play: Playground, regos: Regos) -> None:
    card = next(c for c in regos.emu.shop.cards.values() if c.barcode_value == "2000000012345")
    alice = await start(play)
    await identify(alice)
    text = alice.last.text
    line = next(row for row in text.splitlines() if "2000000012345" in row)
    assert f"бонусы: {format_money(card.bonus_amount, 'ru')}" in line


async def test_a_contact_sent_on_my_orders_links_the_customer(play: Playground,
                                                              regos: Regos) -> None:
    alice = await start(play)
    await alice.click("📦 Мои заказы")
    await alice.share_contact(KNOWN_PHONE)
    assert all(f"№{o.code}" in alice.last.text for o in demo_orders(regos))
