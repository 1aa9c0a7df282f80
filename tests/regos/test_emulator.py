"""The emulator itself: validation with field paths, legacy shapes, limits, pictures."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.regos import codec
from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from actions.regos.emulator.images import png_pure
from tests.regos.conftest import FakeTime

CI = DEMO_CONNECTED_INTEGRATION_ID


def call(emu: RegosEmulator, method: str, payload: Any) -> dict[str, Any]:
    return emu.dispatch(CI, method, payload)


def error_of(envelope: dict[str, Any]) -> tuple[int, str]:
    assert envelope["ok"] is False, envelope
    return envelope["result"]["error"], envelope["result"]["description"].rsplit("Details: ", 1)[-1]


def order(**document: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"date": 1_760_000_000, "from_id": 1}
    return {"document": {**base, **document},
            "operations": [{"item_id": 1, "quantity": Decimal("1.25"), "price": Decimal("18000")}]}


def test_the_demo_shop_is_what_the_docs_promise() -> None:
    shop = demo_shop()
    assert 36 <= len(shop.items) <= 45
    assert sum(1 for g in shop.groups.values() if g.parent_id == 0) == 5
    assert any(not i.has_image for i in shop.items.values())
    assert any(i.stock[1].common == 0 for i in shop.items.values())
    assert any(ch in i.name for i in shop.items.values() for ch in "<&_*")
    assert shop.settings[CI]["MIN_ORDER_AMOUNT"] == "20000"
    assert shop.integrations == {DEMO_INTEGRATION_KEY: CI}
    assert demo_shop() is not shop


@pytest.mark.parametrize(("body", "field"), [
    ({"operations": []}, "document"),
    (order(from_id=None), "document.from_id"),
    (order(from_id=0), "document.from_id"),
    (order(from_id=77), "document.from_id"),
    (order(date=None), "document.date"),
    (order(date="2025-01-01"), "document.date"),
    (order(customer_id=999), "document.customer_id"),
    (order(stock_id=9), "document.stock_id"),
    (order(price_type_id=9), "document.price_type_id"),
    (order(delivery_type_id=9), "document.delivery_type_id"),
    (order(location={"latitude": Decimal("91"), "longitude": Decimal("69.2")}), "document.location.latitude"),
    (order(location={"latitude": Decimal("41.3"), "longitude": 181}), "document.location.longitude"),
    ({**order(), "operations": []}, "operations"),
    ({**order(), "operations": [{"item_id": 999, "quantity": 1, "price": 1}]}, "operations[0].item_id"),
    ({**order(), "operations": [{"quantity": 1, "price": 1}]}, "operations[0].item_id"),
    ({**order(), "operations": [{"item_code": 5, "quantity": 1, "price": 1}]}, "operations[0].item_code"),
    ({**order(), "operations": [{"item_id": 1, "quantity": 1, "price": 1},
                                {"item_id": 2, "quantity": 0, "price": 1}]}, "operations[1].quantity"),
    ({**order(), "operations": [{"item_id": 1, "quantity": "1", "price": 1}]}, "operations[0].quantity"),
    ({**order(), "operations": [{"item_id": 1, "quantity": 1, "price": Decimal("-1")}]},
     "operations[0].price"),
])
def test_add_full_names_the_failing_field_and_saves_nothing(body: dict[str, Any], field: str) -> None:
    emu = RegosEmulator(demo_shop())
    assert error_of(call(emu, "DocOrderDelivery/AddFull", body)) == (1008, field)
    assert len(emu.shop.orders) == 2


def test_add_full_stores_a_new_order() -> None:
    emu = RegosEmulator(demo_shop())
    body = order(customer_id=1, external_code="tg-1", location={"latitude": Decimal("41.311081"),
                                                                 "longitude": Decimal("69.240562")})
    body["operations"].append({"item_code": 1013, "quantity": 2, "price": Decimal("8500.50")})
    envelope = call(emu, "docorderdelivery/addfull", body)
    stored = emu.shop.orders[envelope["result"]["new_id"]]
    assert (stored.status, stored.amount, stored.external_code) == ("New", Decimal("39501.00"), "tg-1")
    lines = call(emu, "OrderDeliveryOperation/Get", {"document_id": stored.id})["result"]
    assert [(r["item"]["id"], r["quantity"]) for r in lines] == [(1, Decimal("1.25")), (13, 2)]


def test_orders_legacy_fields_and_strict_sort_direction() -> None:
    emu = RegosEmulator(demo_shop())
    legacy = call(emu, "DocOrderDelivery/Get", {"customer_ids": [1], "external_code": "tg-demo-0001"})
    assert [o["id"] for o in legacy["result"]] == [1]
    asc = call(emu, "DocOrderDelivery/Get", {"sort_orders": [{"column": "Date", "direction": "ASC"}]})
    assert [o["id"] for o in asc["result"]] == [1, 2]
    lower = call(emu, "DocOrderDelivery/Get", {"sort_orders": [{"column": "Date", "direction": "desc"}]})
    assert error_of(lower) == (1008, "sort_orders[0].direction")


def test_filters_must_follow_the_documented_form() -> None:
    emu = RegosEmulator(demo_shop())
    numeric = {"filters": [{"Field": "customer_id", "Operator": "Equal", "Value": 1}]}
    assert error_of(call(emu, "DocOrderDelivery/Get", numeric)) == (1008, "filters[0].Value")
    unknown = {"filters": [{"Field": "field_nope", "Operator": "Equal", "Value": "1"}]}
    assert error_of(call(emu, "RetailCustomer/Get", unknown)) == (1008, "filters[0].Field")
    lower = {"filters": [{"field": "name", "operator": "Like", "value": "Tele"}]}
    assert [r["id"] for r in call(emu, "DeliveryFrom/Get", lower)["result"]] == [1]


def test_customers_by_phone_legacy_and_filters() -> None:
    emu = RegosEmulator(demo_shop())
    assert [c["id"] for c in call(emu, "RetailCustomer/Get", {"main_phone": "998901234567"})["result"]] == [1]
    bad = {"filters": [{"Field": "main_phone", "Operator": "Equal", "Value": "12ab"}]}
    assert error_of(call(emu, "RetailCustomer/Get", bad)) == (1008, "filters[0].Value")
    assert [c["id"] for c in call(emu, "RetailCustomer/Get", {"search": "юсуп"})["result"]] == [2]
    assert [c["id"] for c in call(emu, "RetailCustomer/Get", {"ids": [2]})["result"]] == [2]


def test_add_customer_validation() -> None:
    emu = RegosEmulator(demo_shop())
    assert error_of(call(emu, "RetailCustomer/Add", {"first_name": "A"})) == (1008, "group_id")
    assert error_of(call(emu, "RetailCustomer/Add", {"group_id": 9, "first_name": "A"})) == (1008, "group_id")
    assert error_of(call(emu, "RetailCustomer/Add", {"group_id": 1})) == (1008, "first_name")
    bad_phone = call(emu, "RetailCustomer/Add", {"group_id": 1, "first_name": "A", "main_phone": "12"})
    assert error_of(bad_phone) == (1008, "main_phone")
    assert "invalid phone format" in bad_phone["result"]["description"]
    unknown_field = {"group_id": 1, "first_name": "A", "fields": [{"key": "field_x", "value": "1"}]}
    assert error_of(call(emu, "RetailCustomer/Add", unknown_field)) == (1008, "fields[0].key")
    duplicate = {"group_id": 1, "first_name": "A", "main_phone": "998901234567"}
    assert call(emu, "RetailCustomer/Add", duplicate)["ok"] is True  # uniqueness is off by default
    emu.shop.phone_unique = True
    assert error_of(call(emu, "RetailCustomer/Add", duplicate)) == (1008, "main_phone")


def test_edit_customer_fields() -> None:
    emu = RegosEmulator(demo_shop())
    body = {"id": 1, "fields": [{"key": "field_telegram_id", "value": "42"}]}
    assert call(emu, "RetailCustomer/Edit", body)["result"] == {"row_affected": 1, "ids": [1]}
    assert emu.shop.customers[1].fields == {"field_telegram_id": "42"}
    delete = {"id": 1, "fields": [{"key": "field_telegram_id", "deleted": True}]}
    call(emu, "RetailCustomer/Edit", delete)
    assert emu.shop.customers[1].fields == {}
    assert error_of(call(emu, "RetailCustomer/Edit", {"id": 99, "first_name": "X"})) == (1008, "id")
    assert error_of(call(emu, "RetailCustomer/Edit", {"id": 1})) == (1008, "body")


def test_cards_balance_fields_and_groups() -> None:
    emu = RegosEmulator(demo_shop())
    assert [c["id"] for c in call(emu, "RetailCard/Get", {"customer_ids": [1]})["result"]] == [1]
    balance = {"filters": [{"Field": "card_id", "Operator": "Equal", "Value": "1"}]}
    assert call(emu, "RetailCard/GetBalance", balance)["result"]["value"] == Decimal(15000)
    assert [f["key"] for f in call(emu, "Field/Get", {"entity_type": "RetailCustomer"})["result"]] == [
        "field_telegram_id"]
    assert call(emu, "Field/Get", {"entity_type": "Item", "keys": ["field_telegram_id"]})["result"] == []
    assert [g["id"] for g in call(emu, "RetailCustomerGroup/Get", {"ids": [2]})["result"]] == [2]


def test_settings_of_another_integration_are_refused() -> None:
    emu = RegosEmulator(demo_shop())
    mine = {"filters": [{"Field": "connected_integration_id", "Operator": "Equal", "Value": CI}]}
    assert {r["key"] for r in call(emu, "ConnectedIntegrationSetting/Get", mine)["result"]} >= {"STOCK_ID"}
    other = {"filters": [{"Field": "connected_integration_id", "Operator": "Equal", "Value": "other"}]}
    assert call(emu, "ConnectedIntegrationSetting/Get", other)["result"]["error"] == 9006
    assert error_of(call(emu, "ConnectedIntegrationSetting/Get", {}))[0] == 1008


def test_get_ext_validates_its_references() -> None:
    emu = RegosEmulator(demo_shop())
    assert error_of(call(emu, "Item/GetExt", {"stock_id": 5})) == (1008, "stock_id")
    assert error_of(call(emu, "Item/GetExt", {"image_size": "Huge"})) == (1008, "image_size")
    assert error_of(call(emu, "Item/GetExt", {"limit": -1})) == (1008, "limit")
    last = call(emu, "Item/GetExt", {"limit": 10, "offset": 40})
    assert (len(last["result"]), last["total"], "next_offset" in last) == (1, 41, False)


async def test_the_rate_limit_is_enforced_per_integration(fake_time: FakeTime) -> None:
    emu = RegosEmulator(demo_shop(), clock=fake_time, burst=3)
    answers = [await emu.handle(DEMO_INTEGRATION_KEY, "ItemGroup/Get", b"{}") for _ in range(4)]
    assert [codec.loads(a.body)["ok"] for a in answers] == [True, True, True, False]
    assert codec.loads(answers[-1].body)["result"]["error"] == 8213
    fake_time.now += 0.5  # 2 tokens per second
    assert codec.loads((await emu.handle(DEMO_INTEGRATION_KEY, "ItemGroup/Get", b"{}")).body)["ok"]
    unlimited = RegosEmulator(demo_shop(), clock=fake_time, burst=1, rate_limit=False)
    for _ in range(5):
        assert codec.loads((await unlimited.handle(DEMO_INTEGRATION_KEY, "ItemGroup/Get", b"")).body)["ok"]


async def test_delay_and_bad_bodies(fake_time: FakeTime) -> None:
    emu = RegosEmulator(demo_shop())
    bad = await emu.handle(DEMO_INTEGRATION_KEY, "ItemGroup/Get", b"{nope")
    assert codec.loads(bad.body)["result"]["error"] == 1008
    emu.delay("ItemGroup/Get", 0.01)
    assert codec.loads((await emu.handle(DEMO_INTEGRATION_KEY, "itemgroup/get", b"{}")).body)["ok"]
    assert [name for name, _ in emu.requests] == ["ItemGroup/Get", "ItemGroup/Get"]
    with pytest.raises(ValueError, match="unknown fault"):
        emu.faults.fail_next("x", "explode")  # type: ignore[arg-type]


async def test_pictures_are_served_for_items_with_an_image(server: RegosEmulatorServer,
                                                           http: httpx.AsyncClient) -> None:
    picture = await http.get(f"{server.public_base}/images/1.png?size=Small")
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    again = await http.get(f"{server.public_base}/images/1.png?size=Small")
    assert again.content == picture.content
    assert (await http.get(f"{server.public_base}/images/6.png")).status_code == 404  # no picture
    assert (await http.get(f"{server.public_base}/images/999.png")).status_code == 404


def test_the_pure_png_writer_makes_a_valid_png() -> None:
    data = png_pure(5, 16)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert struct.unpack(">II", data[16:24]) == (16, 16)
    idat_start = data.index(b"IDAT") + 4
    idat_len = struct.unpack(">I", data[idat_start - 8:idat_start - 4])[0]
    raw = zlib.decompress(data[idat_start:idat_start + idat_len])
    assert len(raw) == 16 * (1 + 16 * 3)
    assert png_pure(5, 16) == data
