"""The cart: add with the counter or a typed quantity, whole numbers for pieces, stock limits,
line edits, clearing; kept in the key-value store (a real Redis where one is configured)."""

from __future__ import annotations

import json
from decimal import Decimal

from redis.asyncio import Redis

from actions.regos.emulator import DEMO_CONNECTED_INTEGRATION_ID
from engine.testing import Playground
from tests.shop.conftest import ORDERS, Regos, open_item, start


async def test_adding_two_with_the_counter_puts_them_in_the_cart(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 3)[0]
    alice = await start(play)
    await open_item(alice, item)
    await alice.click("+")
    assert "2 шт" in alice.buttons(), "the counter shows the unit"
    await alice.click("➕ В корзину")
    await alice.click("🛒 Корзина")
    price = item.prices[1]
    assert item.name in alice.last.text
    assert "Итого:" in alice.last.text
    cart_button = [b for b in alice.buttons() if b.startswith(item.name)]
    assert cart_button == [f"{item.name} — 2 шт"]
    assert price > 0


async def test_piece_goods_take_whole_numbers_and_weighed_goods_fractions(play: Playground,
                                                                          regos: Regos) -> None:
    piece = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 2)[0]
    weighed = regos.items(lambda i: regos.orderable(i) and not regos.piece(i)
                          and regos.stock(i) >= Decimal("1.5"))[0]
    alice = await start(play)
    await open_item(alice, piece)
    await alice.send("1.5")
    assert "Этот товар продаётся поштучно: укажите целое число" in alice.texts()[-2:]
    await open_item(alice, weighed)
    await alice.send("1,5")
    assert f"Добавлено: {weighed.name} × 1.5 кг (в корзине 1.5 кг)" in alice.texts()[-2:]


async def test_more_than_the_stock_is_refused(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i))[0]
    stock = regos.stock(item)
    alice = await start(play)
    await open_item(alice, item)
    await alice.send(str(int(stock) + 1))
    assert f"Можно добавить не больше {int(stock)} шт: в наличии {int(stock)} шт" in alice.texts()[-2:]


async def test_a_number_typed_on_the_item_card_is_added_to_the_cart(play: Playground,
                                                                    regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5)[0]
    alice = await start(play)
    await open_item(alice, item)
    assert "напишите, сколько добавить" in alice.last.text
    await alice.send("2")
    await alice.send("3")
    assert f"Добавлено: {item.name} × 3 шт (в корзине 5 шт)" in alice.texts()[-2:]
    await alice.click("🛒 Корзина")
    assert f"{item.name} — 5 шт" in alice.buttons()


async def test_a_number_typed_in_the_cart_sets_the_line(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5)[0]
    alice = await start(play)
    await open_item(alice, item)
    await alice.send("2")
    await alice.click("🛒 Корзина")
    await alice.click(f"{item.name} — 2 шт")
    assert "сколько должно быть в корзине" in alice.last.text
    await alice.send("3")
    assert "3 шт ×" in alice.last.text, "3 replaces 2, it is not added to it"


async def test_numbers_out_of_range_are_answered_with_the_limit(play: Playground,
                                                                regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5)[0]
    stock = int(regos.stock(item))
    alice = await start(play)
    await open_item(alice, item)
    await alice.send("-2")
    assert "Количество должно быть больше 0" in alice.texts()[-2:]
    await alice.send("0")
    assert "Количество должно быть больше 0" in alice.texts()[-2:]
    await alice.send("99999999999")
    assert f"Можно добавить не больше {stock} шт" in alice.texts()[-2][:40]
    await alice.send("1e999999999")
    assert f"Можно добавить не больше {stock} шт" in alice.texts()[-2][:40]
    await alice.send("много")
    assert "Напишите количество числом, например 2 или 1.5" in alice.texts()[-2:]
    await alice.send("2")
    await alice.click("🛒 Корзина")
    await alice.click(f"{item.name} — 2 шт")
    await alice.send("-2")
    assert "Количество не может быть меньше 0 (0 — убрать из корзины)" in alice.texts()[-2:]
    await alice.send("99999999999")
    assert f"Столько нет: в наличии только {stock} шт" in alice.texts()[-2:]
    assert "2 шт ×" in alice.last.text, "a refused number changes nothing"
    assert play.rejected_calls() == []


async def test_a_refusal_names_what_can_still_be_added(play: Playground, regos: Regos) -> None:
    weighed = regos.items(lambda i: regos.orderable(i) and not regos.piece(i))[0]
    level = regos.emu.shop.items[weighed.id].stock[1]
    level.common = Decimal(18) + level.booked
    alice = await start(play)
    await open_item(alice, weighed)
    await alice.send("1.5")
    await alice.send("17")
    assert "Можно добавить не больше 16.5 кг: в наличии 18 кг, в корзине уже 1.5 кг" \
        in alice.texts()[-2:]
    await alice.send("16.5")
    assert f"Добавлено: {weighed.name} × 16.5 кг (в корзине 18 кг)" in alice.texts()[-2:]
    await alice.send("0.1")
    assert "Больше добавить нельзя: в наличии 18 кг, в корзине уже 18 кг" in alice.texts()[-2:]


async def test_a_line_can_be_changed_removed_and_the_cart_cleared(play: Playground, regos: Regos) -> None:
    first, second = regos.items(lambda i: regos.orderable(i) and regos.piece(i)
                                and regos.stock(i) >= 5)[:2]
    alice = await start(play)
    for item in (first, second):
        await open_item(alice, item)
        await alice.click("➕ В корзину")
    await alice.click("🛒 Корзина")
    await alice.click(f"{first.name} — 1 шт")
    await alice.click("➕")
    assert "2 шт ×" in alice.last.text
    await alice.send("4")
    assert "4 шт ×" in alice.last.text
    await alice.click("➖")
    assert "3 шт ×" in alice.last.text
    await alice.send("0")
    assert f"{first.name} — 3 шт" not in alice.buttons()
    assert f"{second.name} — 1 шт" in alice.buttons()
    await alice.click("🧹 Очистить корзину")
    await alice.click("Да, очистить")
    assert "Корзина пуста" in alice.last.text


async def test_the_cart_lives_in_redis_under_the_documented_key(regos: Regos, redis_server: str) -> None:
    item = regos.items(lambda i: regos.orderable(i) and regos.piece(i))[0]
    async with Playground.open(ORDERS, environ=regos.environ(), redis_url=redis_server) as play:
        alice = await start(play)
        await open_item(alice, item)
        await alice.click("➕ В корзину")
        redis = Redis.from_url(redis_server)
        try:
            key = f"clients:cart:telegram_bot_orders:{DEMO_CONNECTED_INTEGRATION_ID}:{alice.chat.id}"
            lines = json.loads(await redis.get(key))
            assert [(line["item_id"], line["qty"]) for line in lines] == [(item.id, "1")]
            assert 0 < await redis.ttl(key) <= 7 * 86400
        finally:
            await redis.aclose()
