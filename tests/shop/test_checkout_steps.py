"""The optional checkout steps of scenarios/orders.yaml (delivery type, payment type, delivery
slot, loyalty card): windows that save a value, each switched on by a setting, mapped into the
``DocOrderDelivery/AddFull`` document by the scenario's ``order:`` mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from actions.regos.emulator.orders import order_json
from actions.shop.cart import add
from actions.shop.checkout import mapped_fields, place, prepare
from actions.shop.customer import link
from actions.shop.steps import parse_slot, slots_at
from engine.actions import ChatInfo, UserInfo
from engine.testing import Actor, Playground
from tests.shop.conftest import NOON, ORDERS, Regos, identify, open_item, start

TASHKENT = ZoneInfo("Asia/Tashkent")
STEPS_ON = {"DELIVERY_TYPES_ENABLED": "true", "PICKUP_DELIVERY_TYPE_IDS": "2",
            "PAYMENT_TYPES_ENABLED": "true", "DELIVERY_SLOTS_ENABLED": "true",
            "CARD_STEP_ENABLED": "true"}
SLOTS = ["10:00-12:00", "12:00-14:00", "14:00-16:00", "16:00-18:00", "18:00-20:00"]


def settings(**extra: Any) -> dict[str, Any]:
    return {"TIMEZONE": TASHKENT, "DELIVERY_SLOTS": SLOTS, "DELIVERY_DAYS": 2,
            "DELIVERY_LEAD_MINUTES": 60, "WORK_TIME_ENABLED": False,
            "WORK_TIME_START": time(9), "WORK_TIME_END": time(21), **extra}


def labels(slots: list[dict[str, Any]]) -> list[str]:
    return [f"{s['day']} {s['start']}-{s['end']}" for s in slots]


def test_only_slots_that_start_after_the_lead_time_are_offered() -> None:
    offered = slots_at(NOON, settings())  # 12:00 in Tashkent: 13:00 at the earliest
    assert labels(offered) == ["0 14:00-16:00", "0 16:00-18:00", "0 18:00-20:00",
                               *(f"1 {s}" for s in SLOTS)]


def test_a_slot_id_is_its_start_in_the_shop_time_zone_as_unix_seconds() -> None:
    first = slots_at(NOON, settings())[0]
    assert first["id"] == int(datetime(2026, 11, 20, 14, 0, tzinfo=TASHKENT).timestamp())
    assert first["date"] == "2026-11-20"


def test_with_work_hours_only_slots_within_them_are_offered() -> None:
    offered = slots_at(NOON, settings(WORK_TIME_ENABLED=True, WORK_TIME_END=time(17)))
    assert labels(offered) == ["0 14:00-16:00", "1 10:00-12:00", "1 12:00-14:00",
                               "1 14:00-16:00"]


def test_the_day_changes_at_midnight_in_the_shop_time_zone_not_in_utc() -> None:
    late = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # already 01:00 on the 21st in Tashkent
    assert slots_at(late, settings())[0]["date"] == "2026-11-21"


def test_a_malformed_slot_is_named() -> None:
    with pytest.raises(ValueError, match="ends after it starts: '12:00-10:00'"):
        parse_slot("12:00-10:00")


def test_the_mapping_leaves_out_empty_values_and_types_the_ids() -> None:
    assert mapped_fields({"delivery_type_id": "1", "payment_type_id": None, "card_id": "",
                          "description": "домофон 45",
                          "location": {"latitude": "41.3", "longitude": 69}}) == {
        "delivery_type_id": 1, "description": "домофон 45",
        "location": {"latitude": 41.3, "longitude": 69.0}}


def test_the_mapping_refuses_a_field_the_scenario_may_not_set() -> None:
    with pytest.raises(ValueError, match="no field 'customer_id'"):
        mapped_fields({"customer_id": 7})


@pytest.fixture
async def steps_on(regos: Regos) -> AsyncIterator[Playground]:
    async with Playground.open(ORDERS, environ=regos.environ(**STEPS_ON),
                               clock=lambda: NOON) as play:
        yield play


async def to_delivery_type(play: Playground, regos: Regos) -> Actor:
    user = await start(play)
    await identify(user)
    await open_item(user, regos.emu.shop.items[2])
    await user.send("2")
    await user.click("🏠 Меню")
    await user.click("✅ Оформить заказ")
    assert "Как доставить заказ?" in str(user.last.text)
    return user


def sent(regos: Regos) -> dict[str, Any]:
    calls = regos.emu.calls_of("DocOrderDelivery/AddFull")
    assert len(calls) == 1
    document: dict[str, Any] = calls[0]["document"]
    return document


async def test_courier_payment_slot_and_card_reach_regos_with_their_ids(
        steps_on: Playground, regos: Regos) -> None:
    user = await to_delivery_type(steps_on, regos)
    await user.click("🚚 Доставка курьером")
    await user.send_location(41.311081, 69.240562)
    await user.click("💳 Payme")
    assert user.buttons()[0] == "Сегодня 14:00–16:00"
    await user.click("Завтра 10:00–12:00")
    await user.click(next(b for b in user.buttons() if b.startswith("💳 2000000012345")))
    await user.click("Без комментария")
    review = str(user.last.text)
    for shown in ("Способ доставки: Доставка курьером", "Оплата: Payme",
                  "Карта: 2000000012345", "Доставка: 21.11 10:00"):
        assert shown in review
    await user.click("✅ Подтвердить заказ")
    assert "оформлен" in str(user.last.text)
    document = sent(regos)
    tomorrow_ten = datetime(2026, 11, 21, 10, 0, tzinfo=TASHKENT)
    assert {k: document.get(k) for k in ("delivery_type_id", "payment_type_id", "card_id",
                                         "delivery_date", "from_id", "stock_id")} == {
        "delivery_type_id": 1, "payment_type_id": 2, "card_id": 1,
        "delivery_date": int(tomorrow_ten.timestamp()), "from_id": 1, "stock_id": 1}
    assert {k: float(v) for k, v in document["location"].items()} == {
        "latitude": 41.311081, "longitude": 69.240562}
    order = regos.emu.shop.orders[max(regos.emu.shop.orders)]
    assert (order.delivery_type_id, order.payment_type_id, order.card_id) == (1, 2, 1)
    read = order_json(regos.emu.shop, order)  # as DocOrderDelivery/Get shows it
    assert (read["delivery_type"]["name"], read["payment_type"]["name"], read["card"]["id"]) == \
        ("Доставка курьером", "Payme", 1)
    assert steps_on.rejected_calls() == []


async def test_the_lists_of_delivery_and_payment_types_are_read_once_for_many_checkouts(
        steps_on: Playground, regos: Regos) -> None:
    """Every checkout shows the lists and names the choices on its confirmation screen: REGOS
    is asked once per cache period, not each time."""
    for _ in range(3):  # three customers
        user = await to_delivery_type(steps_on, regos)
        await user.click("🚚 Доставка курьером")
        await user.send_location(41.311081, 69.240562)
        assert "💳 Payme" in user.buttons()
    assert len(regos.emu.calls_of("DeliveryType/Get")) == 1
    assert len(regos.emu.calls_of("PaymentType/Get")) == 1


async def test_pickup_asks_no_address_and_sends_none(steps_on: Playground, regos: Regos) -> None:
    user = await to_delivery_type(steps_on, regos)
    await user.click("🏪 Самовывоз")
    assert "Как вы будете платить?" in str(user.last.text)
    assert "Куда доставить?" not in user.texts()
    await user.click("💳 Наличные")
    await user.click("Завтра 18:00–20:00")
    await user.click("Без карты")
    await user.click("Без комментария")
    await user.click("✅ Подтвердить заказ")
    document = sent(regos)
    assert "location" not in document
    assert "card_id" not in document
    assert (document["delivery_type_id"], document["payment_type_id"]) == (2, 1)


async def test_no_slot_left_today_and_no_days_ahead_says_so(regos: Regos) -> None:
    late = NOON + timedelta(hours=8)  # 20:00 in Tashkent
    env = regos.environ(**STEPS_ON, DELIVERY_DAYS="1")
    async with Playground.open(ORDERS, environ=env, clock=lambda: late) as play:
        user = await to_delivery_type(play, regos)
        await user.click("🏪 Самовывоз")
        await user.click("💳 Наличные")
        assert "Сейчас нет свободного времени доставки" in str(user.last.text)
        assert user.buttons() == ["✖️ Отмена"]


async def test_a_card_that_is_not_the_customers_is_refused_and_nothing_is_ordered(
        steps_on: Playground, regos: Regos) -> None:
    dilnoza = steps_on.user("Dilnoza")  # customer 2: no cards of her own; card 1 is Aziz's
    ctx = steps_on.app.runtime.action_context(
        UserInfo(dilnoza.id, "Dilnoza"), ChatInfo(dilnoza.chat.id, "private"), "ru", {})
    assert (await link(ctx, phone="998935554433")).outcome == "found"
    assert (await add(ctx, item_id=2, qty=Decimal(2))).outcome == "ok"
    quote = (await prepare(ctx, note="")).data["quote"]
    result = await place(ctx, quote=quote, order={"card_id": "1", "delivery_type_id": "1"})
    assert (result.outcome, result.data["failure"]) == ("rejected",
                                                        {"code": "card", "field": "card_id"})
    assert regos.emu.calls_of("DocOrderDelivery/AddFull") == []
