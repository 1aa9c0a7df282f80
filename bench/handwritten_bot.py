"""The yardstick: the shop's browse flow written by hand with aiogram 3 + aiogram-dialog 2.

This is what an experienced developer would write for the same screens without the engine
(home -> catalog -> all items -> pages -> item card with a counter -> add -> cart -> home):
states, getters, widgets, one ``httpx.AsyncClient`` for REGOS with a small TTL cache of catalog
pages in process memory, the cart in the user's FSM data (so it lives in Redis when Redis is
used). Texts are inline, as such a bot has them. Buttons outside the browse flow (checkout,
cards, orders) are shown but do nothing. It is a benchmark, not a product.

    BOT_TOKEN=... TELEGRAM_API_URL=... REGOS_API_URL=... REGOS_INTEGRATION_KEY=... \
    [REDIS_URL=...] python bench/handwritten_bot.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from decimal import Decimal
from typing import Any

import httpx
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ContentType
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.api.entities import MediaAttachment
from aiogram_dialog.widgets.kbd import Button, Counter, Group, Row, Select, Start, SwitchTo
from aiogram_dialog.widgets.media import DynamicMedia
from aiogram_dialog.widgets.text import Const, Format, Jinja
from redis.asyncio import BlockingConnectionPool, Redis

PAGE_SIZE = 6
TELEGRAM_FIELD = "field_telegram_id"
CACHE_TTL = 60.0


class Main(StatesGroup):
    home = State()


class Shop(StatesGroup):
    groups = State()
    items = State()
    item = State()


class Cart(StatesGroup):
    view = State()


def money(value: Any) -> str:
    amount = Decimal(str(value))
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f")


class Regos:
    """Item groups and ``Item/GetExt`` pages, cached for a minute."""

    def __init__(self, base_url: str, key: str, stock_id: int = 1, price_type_id: int = 1):
        self.http = httpx.AsyncClient(base_url=f"{base_url.rstrip('/')}/{key}/v1/", timeout=10)
        self.stock_id, self.price_type_id = stock_id, price_type_id
        self._cache: dict[str, tuple[float, Any]] = {}
        self._customers: dict[int, tuple[float, str | None]] = {}

    async def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        cache_key = f"{method}{sorted(body.items())}"
        hit = self._cache.get(cache_key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]  # type: ignore[no-any-return]
        response = await self.http.post(method, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        self._cache[cache_key] = (time.monotonic() + CACHE_TTL, data)
        return data

    async def customer_name(self, telegram_id: int) -> str | None:
        """The first name of the REGOS customer linked to this Telegram user (its
        ``field_telegram_id``), remembered a day; "nobody" is remembered five minutes."""
        hit = self._customers.get(telegram_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        value = str(telegram_id)
        response = await self.http.post("RetailCustomer/Get", json={
            "filters": [{"Field": TELEGRAM_FIELD, "Operator": "Equal", "Value": value}],
            "limit": 5, "offset": 0})
        response.raise_for_status()
        rows = response.json().get("result") or []
        found = next((row for row in rows
                      if any(f.get("key") == TELEGRAM_FIELD and f.get("value") == value
                             for f in row.get("fields") or [])), None)
        name = (found.get("first_name") or found.get("full_name") or None) if found else None
        self._customers[telegram_id] = (time.monotonic() + (86400 if name else 300), name)
        return name

    async def groups(self) -> list[dict[str, Any]]:
        return list((await self.call("ItemGroup/Get", {}))["result"])

    async def page(self, group_id: int | None, page: int) -> tuple[list[dict[str, Any]], int]:
        body: dict[str, Any] = {"stock_id": self.stock_id, "price_type_id": self.price_type_id,
                                "zero_quantity": False, "zero_price": False,
                                "image_size": "Medium", "limit": PAGE_SIZE,
                                "offset": page * PAGE_SIZE}
        if group_id:
            body["group_ids"] = [group_id]
        data = await self.call("Item/GetExt", body)
        return [_item(row) for row in data["result"]], int(data.get("total") or 0)

    async def item(self, item_id: int) -> dict[str, Any] | None:
        data = await self.call("Item/GetExt", {
            "stock_id": self.stock_id, "price_type_id": self.price_type_id,
            "zero_quantity": True, "zero_price": False, "image_size": "Medium",
            "limit": 1, "offset": 0, "ids": [item_id]})
        rows = data["result"]
        return _item(rows[0]) if rows else None


def _item(row: dict[str, Any]) -> dict[str, Any]:
    item, unit = row["item"], row["item"].get("unit") or {}
    stock = Decimal(str((row.get("quantity") or {}).get("allowed") or 0))
    return {"id": item["id"], "name": item["name"], "articul": item.get("articul") or "",
            "price": row.get("price") or 0, "unit": unit.get("name") or "шт",
            "stock": stock.normalize(), "available": stock > 0,
            "image_url": row.get("image_url")}


def regos_of(manager: DialogManager) -> Regos:
    regos: Regos = manager.middleware_data["regos"]
    return regos


async def cart_of(manager: DialogManager) -> dict[str, Any]:
    state: FSMContext = manager.middleware_data["state"]
    return dict((await state.get_data()).get("cart") or {})


# ---------------------------------------------------------------------- getters

async def home_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    cart = await cart_of(dialog_manager)
    user = dialog_manager.middleware_data.get("event_from_user")
    total = sum(Decimal(line["price"]) * Decimal(line["qty"]) for line in cart.values())
    linked = await regos_of(dialog_manager).customer_name(user.id) if user else None
    return {"name": linked or (user.first_name if user else ""), "lines": len(cart),
            "total": money(total)}


async def groups_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    groups = await regos_of(dialog_manager).groups()
    return {"groups": sorted(groups, key=lambda g: (g["path"] or g["name"]).casefold())}


async def items_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    page = int(data.get("page", 0))
    items, total = await regos_of(dialog_manager).page(data.get("group_id"), page)
    pages = max(1, -(-total // PAGE_SIZE))
    for item in items:
        item["label"] = f"{item['name']} · {money(item['price'])}"
    return {"items": items, "total": total, "page": page + 1, "pages": pages,
            "has_prev": page > 0, "has_next": page + 1 < pages}


async def item_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    item_id = int(dialog_manager.dialog_data["item_id"])
    item = await regos_of(dialog_manager).item(item_id)
    line = (await cart_of(dialog_manager)).get(str(item_id))
    photo = None
    if item and item["image_url"]:
        photo = MediaAttachment(ContentType.PHOTO, url=item["image_url"])
    return {"item": item, "in_cart": line["qty"] if line else None, "photo": photo,
            "price": money(item["price"]) if item else ""}


async def cart_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    cart = await cart_of(dialog_manager)
    lines = [{"id": key, **line, "sum": money(Decimal(line["price"]) * Decimal(line["qty"]))}
             for key, line in cart.items()]
    total = sum(Decimal(line["price"]) * Decimal(line["qty"]) for line in cart.values())
    return {"lines": lines, "total": money(total), "has_lines": bool(lines)}


# ---------------------------------------------------------------------- handlers

async def on_all(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.update(group_id=None, page=0)
    await manager.switch_to(Shop.items)


async def on_group(callback: CallbackQuery, widget: Any, manager: DialogManager,
                   group_id: str) -> None:
    manager.dialog_data.update(group_id=int(group_id), page=0)
    await manager.switch_to(Shop.items)


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = 1 if button.widget_id == "next" else -1
    manager.dialog_data["page"] = max(0, int(manager.dialog_data.get("page", 0)) + step)


async def on_item(callback: CallbackQuery, widget: Any, manager: DialogManager,
                  item_id: str) -> None:
    manager.dialog_data["item_id"] = int(item_id)
    await manager.switch_to(Shop.item)


async def on_add(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    item = await regos_of(manager).item(int(manager.dialog_data["item_id"]))
    if item is None or not item["available"]:
        await callback.answer("Нет в наличии")
        return
    counter = manager.find("qty")
    qty = Decimal(str(counter.get_value() if counter else 1))
    state: FSMContext = manager.middleware_data["state"]
    cart = await cart_of(manager)
    line = cart.get(str(item["id"])) or {"name": item["name"], "price": str(item["price"]),
                                          "unit": item["unit"], "qty": "0"}
    line["qty"] = str((Decimal(line["qty"]) + qty).normalize())
    cart[str(item["id"])] = line
    await state.update_data(cart=cart)
    await callback.answer("Добавлено в корзину")


async def on_start(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Main.home, mode=StartMode.RESET_STACK)


# ---------------------------------------------------------------------- dialogs

def nav(back_to: State) -> Row:
    return Row(
        SwitchTo(Const("⬅️ Назад"), id="back", state=back_to),
        Start(Const("🛒 Корзина"), id="cart", state=Cart.view),
        Start(Const("🏠 Меню"), id="home", state=Main.home, mode=StartMode.RESET_STACK),
    )

main_dialog = Dialog(Window(
    Const("<b>Магазин</b>"),
    Format("Здравствуйте, {name}!\n"),
    Const("Выберите товары в каталоге, положите их в корзину и оформите заказ — мы доставим."),
    Format("\n🛒 В корзине {lines} позиция на {total} сум.", when="lines"),
    Start(Const("🛍 Каталог"), id="catalog", state=Shop.groups),
    Row(Start(Const("🛒 Корзина"), id="cart", state=Cart.view),
        Button(Const("✅ Оформить заказ"), id="checkout")),
    Row(Button(Const("💳 Карты"), id="cards"), Button(Const("📦 Мои заказы"), id="orders")),
    state=Main.home, getter=home_getter,
))

shop_dialog = Dialog(
    Window(
        Const("<b>Каталог</b>\nВыберите категорию или напишите название товара, чтобы найти его."),
        Button(Const("Все товары"), id="all", on_click=on_all),
        Group(Select(Format("{item[name]}"), id="grp", item_id_getter=lambda g: g["id"],
                     items="groups", on_click=on_group), width=2),
        Start(Const("🏠 Меню"), id="home", state=Main.home, mode=StartMode.RESET_STACK),
        state=Shop.groups, getter=groups_getter,
    ),
    Window(
        Const("<b>Все товары</b>"),
        Format("Найдено: {total}. Нажмите на товар, чтобы открыть его."),
        Group(Select(Format("{item[label]}"), id="item", item_id_getter=lambda i: i["id"],
                     items="items", on_click=on_item), width=1),
        Row(Button(Const("‹"), id="prev", on_click=on_page, when="has_prev"),
            Button(Format("{page} / {pages}"), id="noop"),
            Button(Const("›"), id="next", on_click=on_page, when="has_next")),
        nav(Shop.groups),
        state=Shop.items, getter=items_getter,
    ),
    Window(
        DynamicMedia("photo", when="photo"),
        Jinja("<b>{{ item.name }}</b>\nАртикул: {{ item.articul }}\n"
              "Цена: <b>{{ price }} сум</b> за {{ item.unit }}\n\n"
              "В наличии: {{ item.stock }} {{ item.unit }}\n"
              "{% if in_cart %}🛒 В корзине: {{ in_cart }} {{ item.unit }}\n{% endif %}\n"
              "Выберите количество кнопками и нажмите «➕ В корзину» или напишите, сколько "
              "добавить в корзину, например 1.5"),
        Counter(id="qty", text=Format("{value:g} кг"), min_value=1, max_value=999, default=1),
        Button(Const("➕ В корзину"), id="add", on_click=on_add),
        nav(Shop.items),
        state=Shop.item, getter=item_getter,
    ),
)

cart_dialog = Dialog(Window(
    Const("<b>Корзина</b>"),
    Jinja("{% for line in lines %}{{ loop.index }}. {{ line.name }} — {{ line.qty }} "
          "{{ line.unit }} × {{ line.price }} = {{ line.sum }}\n{% endfor %}\n"
          "Итого: <b>{{ total }} сум</b>\n\nНажмите на позицию, чтобы изменить количество."),
    Group(Select(Format("{item[name]} — {item[qty]} {item[unit]}"), id="line",
                 item_id_getter=lambda line: line["id"], items="lines"), width=1),
    Button(Const("✅ Оформить заказ"), id="checkout", when="has_lines"),
    Button(Const("🧹 Очистить корзину"), id="clear", when="has_lines"),
    Row(Start(Const("🛍 Каталог"), id="catalog", state=Shop.groups),
        Start(Const("🏠 Меню"), id="home", state=Main.home, mode=StartMode.RESET_STACK)),
    state=Cart.view, getter=cart_getter,
))


def build_dispatcher(storage: BaseStorage, isolation: BaseEventIsolation, regos: Regos) -> Dispatcher:
    router = Router()
    router.message.register(on_start, CommandStart())
    dp = Dispatcher(storage=storage, events_isolation=isolation, regos=regos)
    dp.include_routers(router, main_dialog, shop_dialog, cart_dialog)
    setup_dialogs(dp)
    return dp


def make_storage(redis_url: str | None) -> tuple[BaseStorage, BaseEventIsolation]:
    if not redis_url:
        return MemoryStorage(), SimpleEventIsolation()
    # redis-py 8's default pool raises "Too many connections" at 100 in use (200 customers at once
    # failed): a pool that waits, as anyone running this at that load would configure
    redis = Redis.from_pool(BlockingConnectionPool.from_url(redis_url, max_connections=100, timeout=10))
    storage = RedisStorage(redis, key_builder=DefaultKeyBuilder(with_destiny=True))
    return storage, RedisEventIsolation(storage.redis)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    env = os.environ
    session = AiohttpSession(api=TelegramAPIServer.from_base(env["TELEGRAM_API_URL"]))
    bot = Bot(env["BOT_TOKEN"], session=session, default=DefaultBotProperties(parse_mode="HTML"))
    storage, isolation = make_storage(env.get("REDIS_URL"))
    regos = Regos(env["REGOS_API_URL"], env["REGOS_INTEGRATION_KEY"])
    dp = build_dispatcher(storage, isolation, regos)
    try:
        await dp.start_polling(bot)
    finally:
        await regos.http.aclose()
        await storage.close()


if __name__ == "__main__":
    asyncio.run(main())
