"""A believable demo account: a Tashkent grocery ("Бозор Маркет") with prices in UZS.

Some item names contain characters that break HTML or Markdown unless escaped (``<``, ``&``,
``_``, ``*``, ``[``); some items have no stock, some no picture; the weighed goods (unit "кг",
``non_pcs``) have fractional stock. One customer (Азиз Каримов, 998901234567) has a loyalty
card and two past orders.
"""

from __future__ import annotations

from decimal import Decimal

from actions.regos.emulator.shop import (
    CustomerGroup,
    FieldDef,
    Group,
    OrderLine,
    Shop,
    ShopCard,
    ShopCustomer,
    ShopItem,
    ShopOrder,
    StockLevel,
    Unit,
)

__all__ = ["DEMO_CONNECTED_INTEGRATION_ID", "DEMO_INTEGRATION_KEY", "demo_shop"]

DEMO_INTEGRATION_KEY = "d3m0a5b7c94f2a8e6d1c0b9a7f5e3011"
DEMO_CONNECTED_INTEGRATION_ID = "c0ffee00d3e04a5b9c8d7e6f5a4b3c21"

PCS, KG = 1, 2

_GROUPS = [
    (1, "Овощи и фрукты", 0), (11, "Овощи", 1), (12, "Фрукты", 1),
    (2, "Молочные продукты", 0),
    (3, "Бакалея", 0), (31, "Крупы и макароны", 3), (32, "Специи & приправы", 3),
    (4, "Напитки", 0), (41, "Чай и кофе", 4),
    (5, "Хлеб и выпечка", 0),
]

# id, group, name, unit, price (UZS), stock (common), booked, has image
_ITEMS: list[tuple[int, int, str, int, str, str, str, bool]] = [
    (1, 11, "Помидоры розовые", KG, "18000", "25.5", "2.5", True),
    (2, 11, "Огурцы", KG, "12000", "18.25", "0", True),
    (3, 11, "Картофель", KG, "6500", "120", "10", True),
    (4, 11, "Лук репчатый", KG, "4500", "0", "0", True),
    (5, 11, "Морковь жёлтая для плова", KG, "5500", "40.4", "0", True),
    (6, 11, "Зелень: укроп, пучок", PCS, "2000", "30", "0", False),
    (7, 12, "Яблоки «Голден»", KG, "16000", "35.75", "0", True),
    (8, 12, "Бананы", KG, "22000", "14.3", "1.3", True),
    (9, 12, "Гранат", KG, "25000", "0", "0", True),
    (10, 12, "Виноград «Кишмиш»", KG, "28000", "9.6", "0", True),
    (11, 12, "Лимоны", PCS, "3500", "50", "0", True),
    (12, 2, "Молоко 3,2% 1 л", PCS, "12000", "48", "3", True),
    (13, 2, "Кефир 2,5% 0,5 л", PCS, "8500.50", "20", "0", True),
    (14, 2, "Сметана 20% 400 г", PCS, "14500", "15", "0", True),
    (15, 2, "Творог 9% 500 г", PCS, "24000", "0", "0", True),
    (16, 2, "Сыр <Российский> 45%", KG, "98000", "6.35", "0", True),
    (17, 2, "Масло сливочное 82,5% 200 г", PCS, "27000", "22", "0", True),
    (18, 2, "Катык 1 л", PCS, "11000", "12", "0", False),
    (19, 2, "Йогурт *Клубника* 120 г", PCS, "6500", "40", "0", True),
    (20, 31, "Рис «Девзира» для плова", KG, "32000", "55.5", "0", True),
    (21, 31, "Гречка ядрица 900 г", PCS, "17500", "25", "0", True),
    (22, 31, "Макароны «Спагетти» 400 г", PCS, "9500", "60", "0", True),
    (23, 31, "Мука высший сорт 2 кг", PCS, "15000", "0", "0", True),
    (24, 31, "Нут", KG, "21000", "18", "0", False),
    (25, 32, "Зира молотая 50 г", PCS, "7000", "33", "0", True),
    (26, 32, "Соль_йодированная 1 кг", PCS, "3000", "80", "0", True),
    (27, 32, "Перец чёрный & красный 30 г", PCS, "5500", "0", "0", True),
    (28, 32, "Барбарис сушёный 50 г", PCS, "9000", "14", "0", False),
    (29, 4, "Вода «Hydrolife» 1,5 л", PCS, "4000", "150", "0", True),
    (30, 4, "Coca-Cola 1 л", PCS, "11000", "70", "0", True),
    (31, 4, "Сок яблочный 1 л", PCS, "15500", "24", "0", True),
    (32, 4, "Компот [домашний] 1 л", PCS, "13000", "0", "0", True),
    (33, 41, "Чай зелёный №95 100 г", PCS, "12500", "40", "0", True),
    (34, 41, "Чай чёрный «Ahmad» 100 пак.", PCS, "38000", "12", "0", True),
    (35, 41, "Кофе растворимый 95 г", PCS, "56000", "9", "0", True),
    (36, 5, "Лепёшка тандырная", PCS, "4000", "100", "0", True),
    (37, 5, "Хлеб «Бородинский»", PCS, "8000", "20", "0", True),
    (38, 5, "Самса с мясом", PCS, "9000", "0", "0", False),
    (39, 5, "Булочка с кунжутом", PCS, "3000", "45", "0", True),
    (40, 5, "Торт «Наполеон» 1 кг", PCS, "120000", "3", "0", True),
    (41, 5, "Печенье овсяное 300 г", PCS, "13500.50", "16", "0", True),
]

_SETTINGS = {
    "PRICE_TYPE_ID": "1", "STOCK_ID": "1", "ORDER_SOURCE_ID": "1", "CUSTOMER_GROUP_ID": "1",
    "SHOW_ZERO_QUANTITY": "false", "SHOW_WITHOUT_IMAGES": "true", "MIN_ORDER_AMOUNT": "20000",
    "WORK_TIME_ENABLED": "false", "WORK_TIME_START": "09:00", "WORK_TIME_END": "23:00",
}


def _items() -> dict[int, ShopItem]:
    items: dict[int, ShopItem] = {}
    for item_id, group_id, name, unit, price, common, booked, image in _ITEMS:
        retail = Decimal(price)
        wholesale = (retail * Decimal("0.9")).quantize(Decimal(1))
        items[item_id] = ShopItem(
            id=item_id, name=name, group_id=group_id, unit_id=unit, code=1000 + item_id,
            articul=f"BM-{item_id:03d}", barcode=f"47800000{item_id:05d}",
            prices={1: retail, 2: wholesale},
            stock={1: StockLevel(Decimal(common), Decimal(booked)),
                   2: StockLevel(Decimal(common) // 2)},
            has_image=image, last_purchase_cost=(retail * Decimal("0.8")).quantize(Decimal(1)))
    return items


def _orders() -> dict[int, ShopOrder]:
    first = [OrderLine(20, Decimal("2.5"), Decimal("32000")), OrderLine(12, Decimal(2), Decimal("12000"))]
    second = [OrderLine(36, Decimal(4), Decimal("4000")), OrderLine(13, Decimal(1), Decimal("8500.50"))]
    return {
        1: ShopOrder(id=1, code="000001", date=1_735_711_200, from_id=1, lines=first,
                     amount=sum((x.quantity * x.price for x in first), Decimal(0)), customer_id=1,
                     stock_id=1, price_type_id=1, delivery_type_id=1, status="Finished",
                     external_code="tg-demo-0001", address="Ташкент, Чиланзар 9, кв. 12",
                     phone="998901234567"),
        2: ShopOrder(id=2, code="000002", date=1_738_389_600, from_id=1, lines=second,
                     amount=sum((x.quantity * x.price for x in second), Decimal(0)), customer_id=1,
                     stock_id=1, price_type_id=1, delivery_type_id=2, status="Canceled",
                     external_code="tg-demo-0002", phone="998901234567"),
    }


def demo_shop(connected_integration_id: str = DEMO_CONNECTED_INTEGRATION_ID,
              integration_key: str = DEMO_INTEGRATION_KEY) -> Shop:
    """A fresh demo account (every call builds new objects)."""
    return Shop(
        integrations={integration_key: connected_integration_id},
        settings={connected_integration_id: dict(_SETTINGS)},
        groups={gid: Group(gid, name, parent) for gid, name, parent in _GROUPS},
        units={PCS: Unit(PCS, "шт", "pcs"), KG: Unit(KG, "кг", "non_pcs")},
        items=_items(),
        price_types={1: "Розничная", 2: "Оптовая"},
        stocks={1: "Магазин на Чиланзаре", 2: "Склад Сергели"},
        customer_groups={1: CustomerGroup(1, "Покупатели Telegram"), 2: CustomerGroup(2, "Оптовики")},
        customers={
            1: ShopCustomer(1, 1, "Азиз", "Каримов", main_phone="998901234567"),
            2: ShopCustomer(2, 1, "Дилноза", "Юсупова", main_phone="998935554433",
                            phones="998971112233"),
        },
        cards={1: ShopCard(1, 1, "2000000012345", Decimal("15000"), group_name="Постоянные покупатели",
                           promo_name="Бонусы 3%")},
        fields={1: FieldDef(1, "field_telegram_id", "Telegram ID", "RetailCustomer")},
        delivery_sources={1: "Telegram", 2: "Сайт"},
        delivery_types={1: "Доставка курьером", 2: "Самовывоз"},
        payment_types={1: "Наличные", 2: "Payme", 3: "Click"},
        orders=_orders(),
    )
