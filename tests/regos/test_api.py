"""The typed API over the emulator: request shapes (contract), parsing, lookups, orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.regos.api import RegosApi
from actions.regos.client import RegosClient
from actions.regos.emulator import RegosEmulator, ShopCustomer
from actions.regos.errors import RegosApiError, RegosRateLimited, RegosTimeout, RegosValidationError
from tests.regos.conftest import FakeTime

TG = 555000111

ITEMS_ARGS: dict[str, Any] = {"stock_id": 1, "price_type_id": 1, "zero_quantity": True,
                              "has_image": None, "limit": 10, "offset": 0}


# ---------------------------------------------------------------- request shapes (contract)

async def test_item_groups_request_shape(api: RegosApi, emu: RegosEmulator) -> None:
    await api.item_groups()
    assert emu.calls_of("ItemGroup/Get") == [{}]


async def test_items_request_shape(api: RegosApi, emu: RegosEmulator) -> None:
    await api.items(stock_id=1, price_type_id=1, zero_quantity=False, has_image=True, image_size="Large",
                    search="чай", group_ids=[4], ids=[33, 34], limit=5, offset=0)
    assert emu.calls_of("Item/GetExt") == [{
        "stock_id": 1, "price_type_id": 1, "zero_quantity": False, "zero_price": False,
        "image_size": "Large", "limit": 5, "offset": 0, "has_image": True, "search": "чай",
        "group_ids": [4], "ids": [33, 34]}]


async def test_customer_lookup_request_shapes(api: RegosApi, emu: RegosEmulator) -> None:
    await api.customer_by_phone("+998 (90) 000-00-00")
    await api.customer_by_telegram_id(TG)
    assert emu.calls_of("RetailCustomer/Get") == [
        {"filters": [{"Field": "main_phone", "Operator": "Equal", "Value": "998900000000"}],
         "limit": 5, "offset": 0},
        {"search": "998900000000", "limit": 20, "offset": 0},
        {"filters": [{"Field": "field_telegram_id", "Operator": "Equal", "Value": str(TG)}],
         "limit": 5, "offset": 0},
    ]


async def test_customer_write_request_shapes(api: RegosApi, emu: RegosEmulator) -> None:
    new_id = await api.add_customer(group_id=1, first_name="Нодира", last_name="Ахмедова",
                                    phone="+998 99 876-54-32", telegram_id=TG)
    await api.link_telegram_id(1, TG)
    assert emu.calls_of("RetailCustomer/Add") == [
        {"group_id": 1, "first_name": "Нодира", "last_name": "Ахмедова", "main_phone": "998998765432",
         "fields": [{"key": "field_telegram_id", "value": str(TG)}]}]
    assert emu.calls_of("RetailCustomer/Edit") == [
        {"id": 1, "fields": [{"key": "field_telegram_id", "value": str(TG)}]}]
    assert emu.shop.customers[new_id].fields == {"field_telegram_id": str(TG)}
    assert emu.shop.customers[1].fields == {"field_telegram_id": str(TG)}


async def test_reference_checks_request_shapes(api: RegosApi, emu: RegosEmulator) -> None:
    assert await api.field_defined("RetailCustomer", "field_telegram_id")
    assert await api.customer_group_exists(1)
    assert await api.order_source_exists(1)
    assert emu.calls_of("Field/Get") == [{"entity_type": "RetailCustomer", "keys": ["field_telegram_id"]}]
    assert emu.calls_of("RetailCustomerGroup/Get") == [{"ids": [1]}]
    assert emu.calls_of("DeliveryFrom/Get") == [
        {"filters": [{"Field": "id", "Operator": "Equal", "Value": "1"}], "limit": 10, "offset": 0}]


async def test_cards_orders_settings_request_shapes(api: RegosApi, emu: RegosEmulator) -> None:
    await api.cards(1)
    await api.orders(customer_id=1, external_code="tg-x", limit=5, offset=5)
    await api.integration_settings()
    assert emu.calls_of("RetailCard/Get") == [
        {"filters": [{"Field": "customer_ids", "Operator": "Equal", "Value": "1"}], "limit": 100,
         "offset": 0}]
    assert emu.calls_of("DocOrderDelivery/Get") == [
        {"filters": [{"Field": "customer_id", "Operator": "Equal", "Value": "1"},
                     {"Field": "external_code", "Operator": "Equal", "Value": "tg-x"}],
         "sort_orders": [{"column": "Date", "direction": "DESC"}], "limit": 5, "offset": 5}]
    assert emu.calls_of("ConnectedIntegrationSetting/Get") == [
        {"filters": [{"Field": "connected_integration_id", "Operator": "Equal",
                      "Value": api.connected_integration_id}]}]


async def test_add_order_request_shape(api: RegosApi, emu: RegosEmulator) -> None:
    document = {"date": 1_750_000_000, "from_id": 1, "customer_id": 1, "external_code": "tg-1-a"}
    operations = [{"item_id": 1, "quantity": Decimal("0.75"), "price": Decimal("18000")}]
    await api.add_order(document, operations)
    assert emu.calls_of("DocOrderDelivery/AddFull") == [{"document": document, "operations": operations}]


# ---------------------------------------------------------------- catalog

async def test_items_are_typed_with_decimal_money(api: RegosApi) -> None:
    page = await api.items(**{**ITEMS_ARGS, "ids": [13, 16, 6]})
    by_id = {i.item.id: i for i in page.items}
    kefir, cheese, dill = by_id[13], by_id[16], by_id[6]
    assert kefir.price == Decimal("8500.50")
    assert kefir.is_piece
    assert not cheese.is_piece
    assert cheese.quantity_common == Decimal("6.35")
    assert cheese.item.name == "Сыр <Российский> 45%"
    assert dill.image_url is None
    assert kefir.image_url is not None
    assert kefir.image_url.endswith("/images/13.png?size=Medium")


async def test_paging_walks_the_whole_catalog(api: RegosApi) -> None:
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = await api.items(**{**ITEMS_ARGS, "limit": 15, "offset": offset})
        assert page.total == 41
        seen += [i.item.id for i in page.items]
        offset = page.next_offset
    assert seen == list(range(1, 42))


async def test_zero_stock_and_pictures_are_filtered_by_the_server(api: RegosApi) -> None:
    page = await api.items(**{**ITEMS_ARGS, "zero_quantity": False, "has_image": True, "limit": 100})
    assert page.items
    assert all(i.quantity_common > 0 and i.image_url for i in page.items)
    assert page.total == len(page.items) < 41


async def test_a_group_includes_its_sub_groups(api: RegosApi) -> None:
    page = await api.items(**{**ITEMS_ARGS, "group_ids": [1], "limit": 100})
    assert {i.item.group_id for i in page.items} == {11, 12}
    assert page.total == 11


async def test_search_matches_names_and_articuls(api: RegosApi) -> None:
    assert [i.item.id for i in (await api.items(**{**ITEMS_ARGS, "search": "чай"})).items] == [33, 34]
    assert [i.item.id for i in (await api.items(**{**ITEMS_ARGS, "search": "bm-016"})).items] == [16]


# ---------------------------------------------------------------- customers

async def test_customer_by_phone_finds_the_main_phone(api: RegosApi) -> None:
    customer = await api.customer_by_phone("+998 90 123-45-67")
    assert customer is not None
    assert (customer.id, customer.first_name, customer.last_name) == (1, "Азиз", "Каримов")


async def test_the_search_fallback_refuses_someone_elses_phone(api: RegosApi, emu: RegosEmulator) -> None:
    # 998971112233 is only an *additional* phone of customer 2: search finds her, but she is not it
    assert await api.customer_by_phone("998971112233") is None
    assert len(emu.calls_of("RetailCustomer/Get")) == 2


async def test_the_search_fallback_accepts_an_exact_main_phone(api: RegosApi, emu: RegosEmulator) -> None:
    emu.shop.customers[9] = ShopCustomer(9, 1, "Рустам", main_phone="99 123-456-78")
    # the server's Equal filter compares digits; a formatted main phone is found by either path
    found = await api.customer_by_phone("99 123 456 78")
    assert found is not None
    assert found.id == 9


async def test_a_lookup_error_raises_and_is_never_not_found(api: RegosApi, emu: RegosEmulator) -> None:
    emu.faults.fail_next("RetailCustomer/Get", ("error", 1008, "invalid phone format. Details: main_phone"))
    with pytest.raises(RegosValidationError):
        await api.customer_by_phone("998901234567")
    emu.faults.fail_next("RetailCustomer/Get", "rate_limit", times=3)
    with pytest.raises(RegosRateLimited):
        await api.customer_by_telegram_id(TG)


async def test_customer_by_telegram_id_after_linking(api: RegosApi) -> None:
    assert await api.customer_by_telegram_id(TG) is None
    await api.link_telegram_id(1, TG)
    customer = await api.customer_by_telegram_id(TG)
    assert customer is not None
    assert customer.id == 1


async def test_adding_a_customer_without_a_first_name_names_the_field(api: RegosApi) -> None:
    with pytest.raises(RegosValidationError) as info:
        await api.add_customer(group_id=1, first_name="", last_name=None, phone=None, telegram_id=None)
    assert info.value.field == "first_name"


async def test_cards_of_a_customer(api: RegosApi) -> None:
    [card] = await api.cards(1)
    assert (card.barcode_value, card.bonus_amount, card.enabled) == ("2000000012345", Decimal(15000), True)
    assert await api.cards(2) == []


async def test_settings_keys_are_upper_cased(api: RegosApi, emu: RegosEmulator) -> None:
    emu.shop.settings[api.connected_integration_id]["welcome_message"] = "Салом!"
    settings = await api.integration_settings()
    assert settings["WELCOME_MESSAGE"] == "Салом!"
    assert settings["MIN_ORDER_AMOUNT"] == "20000"


# ---------------------------------------------------------------- orders

def _order(code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return ({"date": 1_760_000_000, "from_id": 1, "customer_id": 1, "stock_id": 1, "price_type_id": 1,
             "external_code": code},
            [{"item_id": 20, "quantity": Decimal("1.5"), "price": Decimal("32000")},
             {"item_id": 13, "quantity": 2, "price": Decimal("8500.50")}])


async def test_add_order_and_read_it_back_newest_first(api: RegosApi) -> None:
    new_id = await api.add_order(*_order("tg-42-1"))
    page = await api.orders(customer_id=1)
    assert [o.id for o in page.items] == [new_id, 2, 1]
    assert page.items[0].amount == Decimal("65001.00")
    assert page.items[0].status_name == "New"


async def test_an_order_committed_before_a_timeout_is_found_by_external_code(
        api: RegosApi, emu: RegosEmulator) -> None:
    emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    with pytest.raises(RegosTimeout):
        await api.add_order(*_order("tg-42-2"))
    assert len(emu.calls_of("DocOrderDelivery/AddFull")) == 1
    found = await api.orders(external_code="tg-42-2")
    assert [o.external_code for o in found.items] == ["tg-42-2"]
    assert (await api.orders(external_code="tg-42-3")).items == []


async def test_a_rejected_order_names_the_field_and_saves_nothing(api: RegosApi, emu: RegosEmulator) -> None:
    document, operations = _order("tg-42-4")
    operations[1]["quantity"] = 0
    with pytest.raises(RegosValidationError) as info:
        await api.add_order(document, operations)
    assert info.value.field == "operations[1].quantity"
    assert len(emu.shop.orders) == 2


# ---------------------------------------------------------------- malformed success payloads

@pytest.mark.parametrize("result", [
    {"oops": 1}, [{"id": "x"}], [{"item": None}], [{"item": {"id": 1, "unit": "pcs"}}],
    [{"item": {"id": 1}, "price": "abc"}], [None],
])
async def test_a_malformed_success_payload_is_an_api_error(fake_time: FakeTime, result: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": result})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        api = RegosApi(RegosClient(http, integration_key="k", connected_integration_id="ci",
                                   sleep=fake_time.sleep))
        with pytest.raises(RegosApiError):
            await api.items(**ITEMS_ARGS)


async def test_missing_optional_fields_and_nulls_are_tolerated(fake_time: FakeTime) -> None:
    rows = {"Item/GetExt": [{"item": {"id": 1, "name": None, "unit": None, "group": None},
                             "quantity": None, "price": None}],
            "RetailCustomer/Get": [{"id": 3, "first_name": "A", "fields": None,
                                    "main_phone": "998901234567"}],
            "RetailCard/Get": [{"id": 1, "bonus_amount": None, "group": None, "promo": None}],
            "DocOrderDelivery/Get": [{"id": 1, "status": None, "amount": 1.5}]}

    def handler(request: httpx.Request) -> httpx.Response:
        method = "/".join(request.url.path.split("/")[-2:])
        return httpx.Response(200, json={"ok": True, "result": rows[method]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        api = RegosApi(RegosClient(http, integration_key="k", connected_integration_id="ci",
                                   sleep=fake_time.sleep))
        [item] = (await api.items(**ITEMS_ARGS)).items
        assert (item.price, item.quantity_allowed, item.item.unit.type) == (None, Decimal(0), "pcs")
        customer = await api.customer_by_phone("998901234567")
        assert customer is not None
        assert customer.fields == {}
        [card] = await api.cards(1)
        assert card.bonus_amount == 0
        [order] = (await api.orders()).items
        assert (order.status_name, order.amount) == ("", Decimal("1.5"))
