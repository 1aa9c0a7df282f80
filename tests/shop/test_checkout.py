"""Checkout: refusals (empty, closed, minimum, unknown customer), a fresh quote, the order
created exactly once (double click, timeout after commit, transport error), REGOS refusals
keeping the cart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from actions.regos.emulator.faults import Fault
from actions.regos.emulator.shop import ShopItem
from engine.templates import format_money
from engine.testing import Actor, Playground
from tests.shop.conftest import NOON, ORDERS, Regos, identify, open_item, start

LAT, LON = 41.311081, 69.240562


def placed(regos: Regos) -> list[int]:
    """Orders the bot created (the demo shop has older ones of its own)."""
    return [o.id for o in regos.emu.shop.orders.values()
            if o.external_code and not o.external_code.startswith("tg-demo")]


def goods(regos: Regos, count: int = 2) -> list[ShopItem]:
    return regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5
                       and i.prices[1] >= 10000)[:count]


async def fill_cart(user: Actor, items: list[ShopItem], qty: int = 2) -> None:
    for item in items:
        await open_item(user, item)
        await user.send(str(qty))


async def to_review(user: Actor, note: str | None = "Подъезд 3, домофон 45") -> None:
    await user.click("🏠 Меню")
    await user.click("✅ Оформить заказ")
    assert "Куда доставить?" in user.last.text
    await user.send_location(LAT, LON)
    if note is None:
        await user.click("Без комментария")
    else:
        await user.send(note)
    assert "Проверьте заказ" in user.last.text


@pytest.fixture
async def customer(play: Playground) -> Actor:
    alice = await start(play)
    await identify(alice)
    return alice


async def test_an_order_is_created_with_everything_regos_needs(play: Playground, regos: Regos,
                                                                customer: Actor) -> None:
    items = goods(regos)
    await fill_cart(customer, items)
    await to_review(customer)
    review = customer.last.text
    assert "Подъезд 3, домофон 45" in review
    assert "Итого:" in review
    await customer.click("✅ Подтвердить заказ")
    assert "Заказ №" in customer.last.text
    assert "оформлен" in customer.last.text
    [sent] = regos.emu.calls_of("DocOrderDelivery/AddFull")
    document = sent["document"]
    assert document["from_id"] == 1
    assert document["stock_id"] == 1
    assert document["price_type_id"] == 1
    assert document["date"] == int(NOON.timestamp())
    assert document["phone"] == "998901234567"
    assert document["description"] == "Подъезд 3, домофон 45"
    assert document["location"] == {"latitude": Decimal(str(LAT)), "longitude": Decimal(str(LON))}
    assert document["external_code"].startswith(f"tg-{customer.chat.id}-")
    customer_id = next(c.id for c in regos.emu.shop.customers.values() if c.main_phone == "998901234567")
    assert document["customer_id"] == customer_id
    assert [(o["item_id"], o["quantity"], o["price"]) for o in sent["operations"]] == [
        (i.id, Decimal(2), i.prices[1]) for i in items]
    [order] = [regos.emu.shop.orders[i] for i in placed(regos)]
    assert order.amount == sum(i.prices[1] * 2 for i in items)
    await customer.click("🏠 Меню")
    await customer.click("🛒 Корзина")
    assert "Корзина пуста" in customer.last.text, "the cart is cleared after success"


async def test_the_note_can_be_skipped(play: Playground, regos: Regos, customer: Actor) -> None:
    await fill_cart(customer, goods(regos, 1))
    await to_review(customer, note=None)
    await customer.click("✅ Подтвердить заказ")
    [sent] = regos.emu.calls_of("DocOrderDelivery/AddFull")
    assert "description" not in sent["document"]


async def test_an_empty_cart_cannot_be_ordered(play: Playground, customer: Actor) -> None:
    await customer.click("🏠 Меню")
    await customer.click("✅ Оформить заказ")
    assert play.calls("answerCallbackQuery")[-1].params.get("text") == "Корзина пуста"


async def test_an_unknown_customer_is_asked_for_the_phone_first(play: Playground, regos: Regos) -> None:
    bob = await start(play, "Bob")
    await fill_cart(bob, goods(regos, 1))
    await bob.click("🏠 Меню")
    await bob.click("✅ Оформить заказ")
    assert "нам нужен ваш номер телефона" in bob.last.text
    assert "📱 Поделиться номером" in bob.reply_buttons()
    await bob.share_contact("998935550011")
    assert "Спасибо! Мы вас зарегистрировали" in bob.texts()
    assert "Куда доставить?" in bob.last.text, "checkout goes on without a second click"
    assert "📍 Отправить геопозицию" in bob.reply_buttons()


async def test_checkout_from_the_cart_goes_on_after_the_phone_is_shared(play: Playground,
                                                                        regos: Regos) -> None:
    bob = await start(play, "Bob")
    await fill_cart(bob, goods(regos, 1))
    await bob.click("🛒 Корзина")
    await bob.click("✅ Оформить заказ")
    await bob.share_contact("998935550011")
    assert "Куда доставить?" in bob.last.text


async def test_cancelling_the_phone_request_does_not_go_on_to_checkout(play: Playground,
                                                                       regos: Regos) -> None:
    bob = await start(play, "Bob")
    await fill_cart(bob, goods(regos, 1))
    await bob.click("🛒 Корзина")
    await bob.click("✅ Оформить заказ")
    await bob.press("✖️ Отмена")
    assert "Куда доставить?" not in bob.last.text
    assert "Корзина" in bob.last.text, "back on the cart, as it was"
    assert regos.emu.calls_of("RetailCustomer/Add") == []


@pytest.mark.parametrize(("now", "open_"), [
    (datetime(2026, 11, 20, 17, 30, tzinfo=UTC), True),   # 22:30 local: inside 20:00-02:00
    (datetime(2026, 11, 20, 20, 30, tzinfo=UTC), True),   # 01:30 local, after midnight
    (datetime(2026, 11, 20, 21, 0, tzinfo=UTC), False),   # 02:00 local: closed
    (datetime(2026, 11, 20, 7, 0, tzinfo=UTC), False),    # noon: closed
])
async def test_work_hours_are_checked_in_the_shop_time_zone(regos: Regos, now: datetime,
                                                            open_: bool) -> None:
    environ = regos.environ(WORK_TIME_ENABLED="yes", WORK_TIME_START="20:00", WORK_TIME_END="02:00")
    async with Playground.open(ORDERS, environ=environ, clock=lambda: now) as play:
        alice = await start(play)
        await identify(alice)
        await fill_cart(alice, goods(regos, 1))
        await alice.click("🏠 Меню")
        await alice.click("✅ Оформить заказ")
        if open_:
            assert "Куда доставить?" in alice.last.text
        else:
            assert "Сейчас мы не принимаем заказы. Часы работы: 20:00–02:00" in alice.texts()[-2:] \
                or play.calls("answerCallbackQuery")[-1].params.get("text") == \
                "Сейчас мы не принимаем заказы. Часы работы: 20:00–02:00"


async def test_a_cart_below_the_minimum_is_refused(regos: Regos) -> None:
    async with Playground.open(ORDERS, environ=regos.environ(MIN_ORDER_AMOUNT="10000000"),
                               clock=lambda: NOON) as play:
        alice = await start(play)
        await identify(alice)
        await fill_cart(alice, goods(regos, 1))
        await alice.click("🏠 Меню")
        await alice.click("✅ Оформить заказ")
        toast = play.calls("answerCallbackQuery")[-1].params.get("text", "")
        assert toast.startswith("Минимальная сумма заказа — 10")
        assert regos.emu.calls_of("DocOrderDelivery/AddFull") == []


async def test_a_price_change_is_shown_before_the_order_is_placed(play: Playground, regos: Regos,
                                                                   customer: Actor) -> None:
    [item] = goods(regos, 1)
    await fill_cart(customer, [item])
    await to_review(customer)
    old_price = item.prices[1]
    regos.emu.shop.items[item.id].prices[1] = old_price + 500
    await customer.click("✅ Подтвердить заказ")
    assert "изменилось" in customer.last.text
    assert "цена" in customer.last.text
    assert regos.emu.calls_of("DocOrderDelivery/AddFull") == []
    await customer.click("✅ Подтвердить заказ")
    [sent] = regos.emu.calls_of("DocOrderDelivery/AddFull")
    assert sent["operations"][0]["price"] == old_price + 500


async def test_less_stock_lowers_the_quantity_and_says_so(play: Playground, regos: Regos,
                                                           customer: Actor) -> None:
    [item] = goods(regos, 1)
    await fill_cart(customer, [item], qty=4)
    regos.emu.shop.items[item.id].stock[1].common = Decimal(3) + regos.emu.shop.items[item.id].stock[1].booked
    await to_review(customer)
    assert "осталось только 3" in customer.last.text


async def test_a_double_click_on_confirm_creates_one_order(play: Playground, regos: Regos,
                                                            customer: Actor) -> None:
    await fill_cart(customer, goods(regos))
    await to_review(customer)
    button = next(b for row in customer.last.buttons for b in row if b.text == "✅ Подтвердить заказ")
    review_id = customer.last.message_id
    await asyncio.gather(customer.click_data(review_id, button.callback_data),
                         customer.click_data(review_id, button.callback_data))
    assert len(placed(regos)) == 1
    assert len(regos.emu.calls_of("DocOrderDelivery/AddFull")) == 1


async def test_a_timeout_after_regos_committed_finds_the_order_instead_of_repeating_it(
        play: Playground, regos: Regos, customer: Actor) -> None:
    await fill_cart(customer, goods(regos))
    await to_review(customer)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    await customer.click("✅ Подтвердить заказ")
    assert "оформлен" in customer.last.text
    assert len(regos.emu.calls_of("DocOrderDelivery/AddFull")) == 1, "AddFull is never re-sent"
    assert len(placed(regos)) == 1


async def test_a_transport_error_keeps_the_cart_and_the_retry_creates_one_order(
        play: Playground, regos: Regos, customer: Actor) -> None:
    await fill_cart(customer, goods(regos))
    await to_review(customer)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull", "http502")
    await customer.click("✅ Подтвердить заказ")
    toast = play.calls("answerCallbackQuery")[-1].params.get("text", "")
    assert toast.startswith("Магазин не ответил вовремя")
    assert placed(regos) == []
    await customer.click("✅ Подтвердить заказ")
    assert "оформлен" in customer.last.text
    codes = {p["document"]["external_code"] for p in regos.emu.calls_of("DocOrderDelivery/AddFull")}
    assert len(codes) == 1, "the retry uses the same external_code"
    assert len(placed(regos)) == 1


async def test_a_regos_refusal_explains_and_keeps_the_cart(play: Playground, regos: Regos,
                                                           customer: Actor) -> None:
    await fill_cart(customer, goods(regos))
    await to_review(customer)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull",
                               ("error", 1008, "Input validation error: parameters are invalid. "
                                               "Details: document.customer_id"))
    await customer.click("✅ Подтвердить заказ")
    assert "Магазин не принял заказ" in customer.last.text
    assert "document.customer_id" in customer.last.text
    await customer.click("🔁 Попробовать снова")
    await customer.click("✅ Подтвердить заказ")
    assert "оформлен" in customer.last.text
    assert len(placed(regos)) == 1


async def test_rate_limited_order_is_not_lost(play: Playground, regos: Regos, customer: Actor) -> None:
    await fill_cart(customer, goods(regos, 1))
    await to_review(customer)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull", "rate_limit", times=5)
    await customer.click("✅ Подтвердить заказ")
    assert placed(regos) == []
    regos.emu.faults.clear()
    await customer.click("✅ Подтвердить заказ")
    assert len(placed(regos)) == 1


def break_lookups_after_a_committed_timeout(regos: Regos) -> None:
    """AddFull commits then times out, and every look-up right after it fails as well."""
    take = regos.emu.faults.take

    def take_and_break_lookups(method: str) -> Fault | None:
        fault = take(method)
        if fault is not None and fault.kind == "commit_then_timeout":
            regos.emu.faults.fail_next("DocOrderDelivery/Get", "http502", times=3)
        return fault

    regos.emu.faults.take = take_and_break_lookups  # type: ignore[method-assign]


async def test_an_order_found_after_the_cart_changed_is_shown_as_regos_holds_it(
        play: Playground, regos: Regos, customer: Actor) -> None:
    milk, buckwheat = goods(regos)
    await fill_cart(customer, [milk])
    await to_review(customer)
    break_lookups_after_a_committed_timeout(regos)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    await customer.click("✅ Подтвердить заказ")
    assert play.calls("answerCallbackQuery")[-1].params.get("text", "").startswith(
        "Магазин не ответил вовремя")
    [first_id] = placed(regos)
    first = regos.emu.shop.orders[first_id]
    await customer.click("✏️ Изменить корзину")
    await fill_cart(customer, [buckwheat], qty=3)
    await to_review(customer)
    assert buckwheat.name in customer.last.text
    await customer.click("✅ Подтвердить заказ")
    shown = customer.last.text
    assert len(regos.emu.calls_of("DocOrderDelivery/AddFull")) == 1, "nothing is sent this time"
    ordered, _, rest = shown.partition("остались в корзине")
    assert f"Заказ №{first.code} оформлен" in ordered
    assert milk.name in ordered
    assert buckwheat.name not in ordered, "goods that were never ordered are not listed"
    assert f"Сумма: {format_money(first.amount, 'ru', 'сум')}" in ordered
    assert f"{buckwheat.name} — 3 шт" in rest
    await customer.click("🏠 Меню")
    await customer.click("🛒 Корзина")
    assert [b for b in customer.buttons() if " — " in b] == [f"{buckwheat.name} — 3 шт"], \
        "what REGOS does not hold stays in the cart"
    await customer.click("✅ Оформить заказ")
    await customer.send_location(LAT, LON)
    await customer.click("Без комментария")
    await customer.click("✅ Подтвердить заказ")
    assert "оформлен" in customer.last.text
    first_sent, second_sent = regos.emu.calls_of("DocOrderDelivery/AddFull")
    assert second_sent["document"]["external_code"] != first_sent["document"]["external_code"], \
        "a changed cart is a new checkout"
    assert [(o["item_id"], o["quantity"]) for o in second_sent["operations"]] == [
        (buckwheat.id, Decimal(3))]


async def test_a_retry_of_an_unchanged_cart_after_an_unknown_outcome_finds_the_order(
        play: Playground, regos: Regos, customer: Actor) -> None:
    items = goods(regos)
    await fill_cart(customer, items)
    await to_review(customer)
    break_lookups_after_a_committed_timeout(regos)
    regos.emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    await customer.click("✅ Подтвердить заказ")
    await customer.click("✅ Подтвердить заказ")
    assert "оформлен" in customer.last.text
    assert "остались в корзине" not in customer.last.text
    assert len(regos.emu.calls_of("DocOrderDelivery/AddFull")) == 1
    assert len(placed(regos)) == 1
    await customer.click("🏠 Меню")
    await customer.click("🛒 Корзина")
    assert "Корзина пуста" in customer.last.text
