"""Emulated catalog methods: ``ItemGroup/Get`` and ``Item/GetExt``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from actions.regos.emulator.common import (
    Call,
    Handler,
    apply_filters,
    as_int,
    int_list,
    ok,
    page,
    parse_filters,
    validation,
)
from actions.regos.emulator.shop import Group, Shop, ShopItem

__all__ = ["HANDLERS", "group_json", "item_json"]

LAST_UPDATE = 1_725_000_000
# image_size: the enum names and the Swagger's numeric aliases.
IMAGE_SIZES = {"large": "Large", "medium": "Medium", "small": "Small", "default": "Default",
               "1": "Large", "2": "Medium", "3": "Small"}


def group_json(shop: Shop, group: Group) -> dict[str, Any]:
    children = sum(1 for g in shop.groups.values() if g.parent_id == group.id)
    return {"id": group.id, "parent_id": group.parent_id, "path": shop.group_path(group.id),
            "name": group.name, "child_count": children, "last_update": LAST_UPDATE}


def item_json(shop: Shop, item: ShopItem, image_url: str | None) -> dict[str, Any]:
    group = shop.groups.get(item.group_id)
    unit = shop.units.get(item.unit_id)
    return {
        "id": item.id,
        "group": group_json(shop, group) if group else None,
        "department": None,
        "vat": {"id": 1, "value": 12, "name": "12%", "enabled": True, "last_update": LAST_UPDATE},
        "barcode_list": item.barcode or None,
        "base_barcode": item.barcode or None,
        "unit": {"id": unit.id, "name": unit.name, "type": unit.type, "description": None,
                 "kkm_code": 1, "last_update": LAST_UPDATE} if unit else None,
        "unit2": None, "color": None, "size": None, "brand": None, "producer": None, "country": None,
        "compound": False, "deleted_mark": False, "image_url": image_url, "parent_id": 0,
        "has_child": False, "last_update": LAST_UPDATE, "type": "Item", "code": item.code,
        "name": item.name, "fullname": item.name, "description": item.description,
        "articul": item.articul, "kdt": 1, "min_quantity": 0, "icps": None, "assemblable": False,
        "disassemblable": False, "is_labeled": False, "comission_tin": None, "package_code": None,
        "origin": -1, "partner_id": None, "fields": [],
    }


def item_group_get(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    filters = parse_filters(body, ("id", "name", "parent_id", "path"))
    groups = sorted(shop.groups.values(), key=lambda g: g.id)
    groups = apply_filters(groups, filters, {
        "id": lambda g: g.id, "name": lambda g: g.name, "parent_id": lambda g: g.parent_id,
        "path": lambda g: shop.group_path(g.id)})
    ids = int_list(body, "ids")
    if ids is not None:
        groups = [g for g in groups if g.id in ids]
    parent_ids = int_list(body, "parent_ids")
    if parent_ids:
        groups = [g for g in groups if g.parent_id in parent_ids]
    return ok([group_json(shop, g) for g in groups])


def _flag(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise validation(key, "a boolean is expected")


def item_get_ext(call: Call) -> dict[str, Any]:
    body = dict(call.body())
    shop = call.shop
    stock_id = as_int(body.get("stock_id"), "stock_id")
    if stock_id is not None and stock_id not in shop.stocks:
        raise validation("stock_id", "stock not found")
    price_type_id = as_int(body.get("price_type_id"), "price_type_id")
    if price_type_id is not None and price_type_id not in shop.price_types:
        raise validation("price_type_id", "price type not found")
    zero_quantity = _flag(body, "zero_quantity")
    zero_price = _flag(body, "zero_price")
    has_image = _flag(body, "has_image")
    raw_size = body.get("image_size", "Default")
    size = IMAGE_SIZES.get(str(raw_size).lower()) if isinstance(raw_size, str | int) else None
    if size is None or isinstance(raw_size, bool):
        raise validation("image_size", "Large, Medium, Small or Default expected")
    search = body.get("search")
    if search is not None and not isinstance(search, str):
        raise validation("search", "a string is expected")
    group_ids = int_list(body, "group_ids")
    ids = int_list(body, "ids")
    filters = parse_filters(body, ("id", "name", "code", "articul", "group_id"))

    def quantity(item: ShopItem) -> tuple[Decimal, Decimal]:
        level = item.stock.get(stock_id) if stock_id is not None else None
        return (level.common, level.booked) if level else (Decimal(0), Decimal(0))

    def price(item: ShopItem) -> Decimal | None:
        return item.prices.get(price_type_id, Decimal(0)) if price_type_id is not None else None

    items = sorted(shop.items.values(), key=lambda i: i.id)
    items = apply_filters(items, filters, {
        "id": lambda i: i.id, "name": lambda i: i.name, "code": lambda i: i.code,
        "articul": lambda i: i.articul, "group_id": lambda i: i.group_id})
    if ids:
        items = [i for i in items if i.id in ids]
    if group_ids:
        wanted: set[int] = set()
        for group_id in group_ids:
            wanted |= shop.descendants(group_id)  # sub-groups included
        items = [i for i in items if i.group_id in wanted]
    if search and search.strip():
        needle = search.strip().lower()
        items = [i for i in items if needle in i.name.lower() or needle in i.articul.lower()
                 or needle in str(i.code) or (i.barcode and needle in i.barcode.lower())]
    if zero_quantity is False:
        items = [i for i in items if quantity(i)[0] > 0]
    if zero_price is False:
        items = [i for i in items if (price(i) or 0) > 0]
    if has_image is not None:
        items = [i for i in items if i.has_image == has_image]

    def ext(item: ShopItem) -> dict[str, Any]:
        common, booked = quantity(item)
        url = f"{call.public_base}/images/{item.id}.png?size={size}" if item.has_image else None
        return {
            "item": item_json(shop, item, url),
            "quantity": {"common": common, "allowed": common - booked, "booked": booked},
            "pricetype": ({"id": price_type_id, "name": shop.price_types[price_type_id], "round_to": 0,
                           "markup": 0, "max_discount": 0, "currency": None,
                           "currency_additional": None, "last_update": LAST_UPDATE}
                          if price_type_id is not None else None),
            "price": price(item),
            "last_purchase_cost": item.last_purchase_cost,
            "image_url": url,
        }

    envelope = page(body, items, default_limit=100, max_limit=1000)
    envelope["result"] = [ext(item) for item in envelope["result"]]
    return envelope


HANDLERS: dict[str, Handler] = {
    "ItemGroup/Get": item_group_get,
    "Item/GetExt": item_get_ext,
}
