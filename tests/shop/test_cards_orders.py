"""Loyalty cards with balance and a QR code picture; my orders with their status."""

from __future__ import annotations

import sys

import pytest

from engine.testing import Playground
from tests.shop.conftest import Regos, identify, start


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
