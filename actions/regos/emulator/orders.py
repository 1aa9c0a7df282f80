"""Emulated order methods, the checkout reference lists and the integration settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from actions.regos.emulator.common import (
    Call,
    EmuError,
    Handler,
    apply_filters,
    as_int,
    as_number,
    int_list,
    ok,
    page,
    parse_filters,
    req_int,
    sort_directions,
    validation,
)
from actions.regos.emulator.customers import card_json
from actions.regos.emulator.shop import OrderLine, Shop, ShopOrder, next_id

__all__ = ["HANDLERS", "order_json"]

LAST_UPDATE = 1_725_000_000
_STATUS_IDS = {"New": 1, "Approved": 2, "Processing": 3, "Paying": 4, "Finished": 5, "Canceled": 6,
               "ReturnPaying": 7, "ReturnProcessing": 8}
_SORT_COLUMNS = {"Date": "date", "Code": "code", "Stock": "stock_id", "Customer": "customer_id",
                 "From": "from_id"}


def _ref(table: Mapping[int, str], ref_id: int | None) -> dict[str, Any] | None:
    if ref_id is None or ref_id not in table:
        return None
    return {"id": ref_id, "name": table[ref_id]}


def order_json(shop: Shop, order: ShopOrder) -> dict[str, Any]:
    customer = shop.customers.get(order.customer_id or 0)
    return {
        "id": order.id, "date": order.date, "code": order.code,
        "stock": _ref(shop.stocks, order.stock_id),
        "customer": {"id": customer.id, "first_name": customer.first_name,
                     "last_name": customer.last_name or None, "full_name": customer.full_name,
                     "main_phone": customer.main_phone} if customer else None,
        "card": card_json(shop, shop.cards[order.card_id]) if order.card_id in shop.cards else None,
        "operating_cash_id": 0, "amount": order.amount,
        "status": {"id": _STATUS_IDS.get(order.status, 0), "document_type_id": 1, "name": order.status,
                   "name_var": order.status, "order": _STATUS_IDS.get(order.status, 0),
                   "last_update": order.date},
        "delivery_date": order.delivery_date, "description": order.description,
        "address": order.address, "phone": order.phone, "external_code": order.external_code,
        "from": _ref(shop.delivery_sources, order.from_id),
        "location": {"latitude": order.location[0], "longitude": order.location[1]}
        if order.location else None,
        "delivery_type": _ref(shop.delivery_types, order.delivery_type_id),
        "courier": None, "price_type": _ref(shop.price_types, order.price_type_id), "qrcodeurl": None,
        "payment_type": _ref(shop.payment_types, order.payment_type_id), "blocked": False,
        "current_user_blocked": False, "deleted_mark": False, "last_update": order.date,
    }


def _ref_id(document: Mapping[str, Any], key: str, table: Mapping[int, object]) -> int | None:
    value = as_int(document.get(key), f"document.{key}")
    if value is not None and value not in table:
        raise validation(f"document.{key}", "record not found")
    return value


def _location(document: Mapping[str, Any]) -> tuple[Decimal, Decimal] | None:
    raw = document.get("location")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise validation("document.location", "an object is expected")
    coords: list[Decimal] = []
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value = as_number(raw.get(key))
        if value is None or not -bound <= value <= bound:
            raise validation(f"document.location.{key}", f"must be a number within ±{bound}")
        coords.append(value)
    return coords[0], coords[1]


def _text(document: Mapping[str, Any], key: str, limit: int = 500) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise validation(f"document.{key}", f"a string of at most {limit} characters is expected")
    return value


def _operations(shop: Shop, raw: Any) -> list[OrderLine]:
    if not isinstance(raw, list) or not raw:
        raise validation("operations", "at least one operation is required")
    lines: list[OrderLine] = []
    by_code = {item.code: item.id for item in shop.items.values()}
    for index, entry in enumerate(raw):
        where = f"operations[{index}]"
        if not isinstance(entry, Mapping):
            raise validation(where, "an object is expected")
        item_id = as_int(entry.get("item_id"), f"{where}.item_id")
        item_code = as_int(entry.get("item_code"), f"{where}.item_code")
        if item_id is not None:
            if item_id not in shop.items:
                raise validation(f"{where}.item_id", "item not found")
        elif item_code is not None:
            item_id = by_code.get(item_code)
            if item_id is None:
                raise validation(f"{where}.item_code", "item not found")
        else:
            raise validation(f"{where}.item_id", "item_id or item_code is required")
        quantity, price = as_number(entry.get("quantity")), as_number(entry.get("price"))
        if quantity is None or quantity <= 0:
            raise validation(f"{where}.quantity", "a number > 0 is expected")
        if price is None or price < 0:
            raise validation(f"{where}.price", "a number >= 0 is expected")
        lines.append(OrderLine(item_id=item_id, quantity=quantity, price=price))
    return lines


def doc_order_delivery_add_full(call: Call) -> dict[str, Any]:
    """All-or-nothing: everything is validated before anything is stored."""
    body = call.body()
    shop = call.shop
    document = body.get("document")
    if not isinstance(document, Mapping):
        raise validation("document", "a document object is required")
    from_id = req_int(document.get("from_id"), "document.from_id", minimum=1)
    if from_id not in shop.delivery_sources:
        raise validation("document.from_id", "order source not found")
    date = req_int(document.get("date"), "document.date", minimum=0)
    delivery_date = as_int(document.get("delivery_date"), "document.delivery_date", minimum=0)
    customer_id = _ref_id(document, "customer_id", shop.customers)
    stock_id = _ref_id(document, "stock_id", shop.stocks)
    price_type_id = _ref_id(document, "price_type_id", shop.price_types)
    delivery_type_id = _ref_id(document, "delivery_type_id", shop.delivery_types)
    payment_type_id = _ref_id(document, "payment_type_id", shop.payment_types)
    card_id = _ref_id(document, "card_id", shop.cards)
    location = _location(document)
    for key in ("description", "address", "phone", "external_code"):
        _text(document, key)
    lines = _operations(shop, body.get("operations"))
    order_id = next_id(shop.orders)
    shop.orders[order_id] = ShopOrder(
        id=order_id, code=f"{order_id:06d}", date=date, from_id=from_id, lines=lines,
        amount=sum((line.quantity * line.price for line in lines), Decimal(0)),
        customer_id=customer_id,
        stock_id=stock_id if stock_id is not None else min(shop.stocks, default=None),
        price_type_id=price_type_id, delivery_type_id=delivery_type_id,
        payment_type_id=payment_type_id, card_id=card_id, location=location,
        delivery_date=delivery_date or 0, description=_text(document, "description"),
        address=_text(document, "address"), phone=_text(document, "phone"),
        external_code=_text(document, "external_code"))
    return ok({"new_id": order_id})


def doc_order_delivery_get(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    filters = parse_filters(body, ("id", "ids", "code", "status_id", "stock_id", "customer_id", "from_id",
                                   "external_code", "date", "start_date", "end_date", "deleted_mark"))
    orders = apply_filters(list(shop.orders.values()), filters, {
        "id": lambda o: o.id, "ids": lambda o: o.id, "code": lambda o: o.code,
        "status_id": lambda o: _STATUS_IDS.get(o.status),
        "stock_id": lambda o: o.stock_id, "customer_id": lambda o: o.customer_id,
        "from_id": lambda o: o.from_id, "external_code": lambda o: o.external_code,
        "date": lambda o: o.date, "start_date": lambda o: o.date, "end_date": lambda o: o.date,
        "deleted_mark": lambda o: "false"})
    for key, attr in (("ids", "id"), ("customer_ids", "customer_id"), ("stock_ids", "stock_id"),
                      ("from_ids", "from_id")):
        wanted = int_list(body, key)
        if wanted:
            orders = [o for o in orders if getattr(o, attr) in wanted]
    external_code = body.get("external_code")
    if external_code is not None:
        orders = [o for o in orders if o.external_code == external_code]
    orders.sort(key=lambda o: o.id)
    for column, descending in reversed(sort_directions(body, _SORT_COLUMNS)):
        orders.sort(key=_sort_key(_SORT_COLUMNS[column]), reverse=descending)
    envelope = page(body, orders, default_limit=100)
    envelope["result"] = [order_json(shop, o) for o in envelope["result"]]
    return envelope


def _sort_key(attr: str) -> Callable[[ShopOrder], tuple[bool, str, int]]:
    def key(order: ShopOrder) -> tuple[bool, str, int]:
        value = getattr(order, attr)
        text = f"{value:020d}" if isinstance(value, int) else str(value or "")
        return value is not None, text, order.id
    return key


def order_delivery_operation_get(call: Call) -> dict[str, Any]:
    body = call.body()
    document_id = req_int(body.get("document_id"), "document_id")
    order = call.shop.orders.get(document_id)
    if order is None:
        return ok([])
    rows = []
    for index, line in enumerate(order.lines, start=1):
        item = call.shop.items.get(line.item_id)
        unit = call.shop.units.get(item.unit_id) if item else None
        rows.append({"id": order.id * 1000 + index, "document_id": order.id,
                     "item": {"id": line.item_id, "name": item.name if item else "",
                              "unit": {"id": unit.id, "name": unit.name, "type": unit.type}
                              if unit else None},
                     "quantity": line.quantity, "price": line.price, "last_update": order.date})
    return ok(rows)


def _named_list(table: Mapping[int, str], call: Call, extra: Mapping[str, Any]) -> dict[str, Any]:
    body = call.body()
    rows = apply_filters(sorted(table.items()), parse_filters(body, ("id", "name", "last_update")),
                         {"id": lambda r: r[0], "name": lambda r: r[1], "last_update": lambda r: LAST_UPDATE})
    ids = int_list(body, "ids")
    if ids:
        rows = [r for r in rows if r[0] in ids]
    search = body.get("search")
    if isinstance(search, str) and search.strip():
        rows = [r for r in rows if search.strip().lower() in r[1].lower()]
    envelope = page(body, rows)
    envelope["result"] = [{"id": r[0], "name": r[1], **extra, "last_update": LAST_UPDATE}
                          for r in envelope["result"]]
    return envelope


def delivery_from_get(call: Call) -> dict[str, Any]:
    return _named_list(call.shop.delivery_sources, call, {"deleted": False})


def delivery_type_get(call: Call) -> dict[str, Any]:
    return _named_list(call.shop.delivery_types, call, {})


def payment_type_get(call: Call) -> dict[str, Any]:
    return ok([{"id": k, "name": v, "account": None, "shortkey": 0, "is_cash": k == 1, "kkm_code": 0,
                "last_update": LAST_UPDATE, "enabled": "True", "image_url": ""}
               for k, v in sorted(call.shop.payment_types.items())])


def connected_integration_setting_get(call: Call) -> dict[str, Any]:
    """Settings of the connected integration named in ``filters`` (or the legacy top-level
    field); asking for another integration's settings is an access error."""
    body = call.body()
    filters = parse_filters(body, ("connected_integration_id", "integration_key", "firm_id"))
    wanted = [f.value for f in filters if f.field == "connected_integration_id"]
    legacy = body.get("connected_integration_id")
    if isinstance(legacy, str):
        wanted.append(legacy)
    if not wanted:
        raise validation("filters.connected_integration_id", "the connected integration is required")
    if any(ci != call.connected_integration_id for ci in wanted):
        raise EmuError(9006, "Access denied to the settings of another connected integration")
    settings = call.shop.settings.get(call.connected_integration_id, {})
    return ok([{"key": k, "value": v, "last_update": LAST_UPDATE} for k, v in settings.items()])


HANDLERS: dict[str, Handler] = {
    "DocOrderDelivery/AddFull": doc_order_delivery_add_full,
    "DocOrderDelivery/Get": doc_order_delivery_get,
    "OrderDeliveryOperation/Get": order_delivery_operation_get,
    "DeliveryFrom/Get": delivery_from_get,
    "DeliveryType/Get": delivery_type_get,
    "PaymentType/Get": payment_type_get,
    "ConnectedIntegrationSetting/Get": connected_integration_setting_get,
}
