"""Emulated customer methods: retail customers, their groups, additional fields, loyalty cards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

from actions.regos.emulator.common import (
    Call,
    EmuError,
    Filter,
    Handler,
    apply_filters,
    as_int,
    digits_of,
    int_list,
    ok,
    page,
    parse_filters,
    phone_ok,
    req_int,
    sort_directions,
    validation,
)
from actions.regos.emulator.shop import Shop, ShopCard, ShopCustomer, next_id

__all__ = ["HANDLERS", "customer_json"]

LAST_UPDATE = 1_725_000_000
_NAME_LIMIT = 100


def customer_json(shop: Shop, customer: ShopCustomer) -> dict[str, Any]:
    group = shop.customer_groups.get(customer.group_id)
    definitions = {f.key: f for f in shop.fields.values() if f.entity_type == "RetailCustomer"}
    fields = []
    for key, value in customer.fields.items():
        definition = definitions.get(key)
        fields.append({"key": key, "name": definition.name if definition else key,
                       "data_type": definition.data_type if definition else "string",
                       "is_custom": True, "required": bool(definition and definition.required),
                       "value": value})
    return {
        "id": customer.id, "region": None,
        "group": {"id": group.id, "parent_id": group.parent_id, "name": group.name,
                  "last_update": LAST_UPDATE} if group else None,
        "full_name": customer.full_name, "last_purchase": 0, "debt": 0, "fields": fields,
        "deleted_mark": False, "last_update": LAST_UPDATE, "first_name": customer.first_name,
        "last_name": customer.last_name or None, "middle_name": customer.middle_name or None,
        "sex": "none", "date_of_birth": None, "address": None, "main_phone": customer.main_phone,
        "phones": customer.phones or None, "email": None, "refer_id": 0, "description": None,
    }


def _checked_phone(value: Any, field: str) -> str:
    if not isinstance(value, str) or not phone_ok(value):
        raise validation(field, "invalid phone format")
    return value


def retail_customer_get(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    custom = shop.field_keys("RetailCustomer")
    known = ("id", "ids", "group_id", "main_phone", "first_name", "last_name", *custom)
    filters = parse_filters(body, known)
    for index, flt in enumerate(filters):
        if flt.field == "main_phone" and flt.operator == "Equal":
            value = digits_of(_checked_phone(flt.value, f"filters[{index}].Value"))
            filters[index] = Filter(flt.field, flt.operator, value)
    customers = sorted(shop.customers.values(), key=lambda c: c.id)
    getters: dict[str, Any] = {
        "id": lambda c: c.id, "ids": lambda c: c.id, "group_id": lambda c: c.group_id,
        "main_phone": lambda c: digits_of(c.main_phone) or None, "first_name": lambda c: c.first_name,
        "last_name": lambda c: c.last_name}
    for key in custom:
        getters[key] = _field_getter(key)
    customers = apply_filters(customers, filters, getters)
    ids = int_list(body, "ids")
    if ids is not None:
        customers = [c for c in customers if c.id in ids]
    group_ids = int_list(body, "group_ids")
    if group_ids:
        customers = [c for c in customers if c.group_id in group_ids]
    legacy_phone = body.get("main_phone")
    if legacy_phone is not None:
        wanted = digits_of(_checked_phone(legacy_phone, "main_phone"))
        customers = [c for c in customers if digits_of(c.main_phone) == wanted]
    search = body.get("search")
    if search is not None:
        if not isinstance(search, str):
            raise validation("search", "a string is expected")
        customers = [c for c in customers if _search_hit(c, search)]
    for column, descending in reversed(sort_directions(body, ("id", "first_name", "last_name"))):
        customers.sort(key=attrgetter(column), reverse=descending)
    envelope = page(body, customers, default_limit=100)
    envelope["result"] = [customer_json(shop, c) for c in envelope["result"]]
    return envelope


def _field_getter(key: str) -> Callable[[ShopCustomer], str | None]:
    return lambda customer: customer.fields.get(key)


def _search_hit(customer: ShopCustomer, search: str) -> bool:
    needle = search.strip().lower()
    if not needle:
        return True
    texts = (customer.first_name, customer.middle_name, customer.last_name, customer.main_phone or "",
             customer.phones)
    if any(needle in text.lower() for text in texts):
        return True
    digits = digits_of(needle)
    return bool(digits) and digits == needle.replace(" ", "") and any(
        digits in digits_of(part) for part in (customer.main_phone or "", *customer.phones.split(",")))


def _fields_in(shop: Shop, body: Mapping[str, Any], *, editing: bool) -> list[tuple[str, str | None]]:
    raw = body.get("fields")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation("fields", "an array is expected")
    defined = shop.field_keys("RetailCustomer")
    changes: list[tuple[str, str | None]] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise validation(f"fields[{index}]", "an object is expected")
        key = entry.get("key")
        if not isinstance(key, str) or key not in defined:
            raise validation(f"fields[{index}].key", f"unknown additional field {key!r}")
        if editing and entry.get("deleted") is True:
            changes.append((key, None))
            continue
        value = entry.get("value")
        if not isinstance(value, str):
            raise validation(f"fields[{index}].value", "values are strings")
        changes.append((key, value))
    return changes


def _text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            raise validation(key, "a required parameter is missing")
        return None
    if not isinstance(value, str) or len(value) > _NAME_LIMIT:
        raise validation(key, f"a string of at most {_NAME_LIMIT} characters is expected")
    return value


def _phone_for(shop: Shop, body: Mapping[str, Any], own_id: int | None) -> str | None:
    phone = body.get("main_phone")
    if phone is None:
        return None
    phone = _checked_phone(phone, "main_phone")
    if shop.phone_unique and any(digits_of(c.main_phone) == digits_of(phone) and c.id != own_id
                                 for c in shop.customers.values()):
        raise validation("main_phone", "a customer with this phone already exists")
    return phone


def retail_customer_add(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    group_id = req_int(body.get("group_id"), "group_id")
    if group_id not in shop.customer_groups:
        raise validation("group_id", "customer group not found")
    first_name = _text(body, "first_name", required=True) or ""
    last_name = _text(body, "last_name") or ""
    middle_name = _text(body, "middle_name") or ""
    phone = _phone_for(shop, body, None)
    fields = _fields_in(shop, body, editing=False)
    customer = ShopCustomer(id=next_id(shop.customers), group_id=group_id, first_name=first_name,
                            last_name=last_name, middle_name=middle_name, main_phone=phone,
                            fields={k: v for k, v in fields if v is not None})
    shop.customers[customer.id] = customer
    return ok({"new_id": customer.id})


def retail_customer_edit(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    customer_id = as_int(body.get("id"), "id", required=True)
    customer = shop.customers.get(customer_id or 0)
    if customer is None:
        raise validation("id", "customer not found")
    editable = ("group_id", "first_name", "last_name", "middle_name", "main_phone", "fields")
    if not any(key in body for key in editable):
        raise validation("body", "nothing to change")
    group_id = as_int(body.get("group_id"), "group_id")
    if group_id is not None and group_id not in shop.customer_groups:
        raise validation("group_id", "customer group not found")
    first_name = _text(body, "first_name", required="first_name" in body)
    last_name, middle_name = _text(body, "last_name"), _text(body, "middle_name")
    phone = _phone_for(shop, body, customer.id)
    fields = _fields_in(shop, body, editing=True)
    # validated everything: apply
    customer.group_id = group_id if group_id is not None else customer.group_id
    customer.first_name = first_name or customer.first_name
    customer.last_name = last_name if last_name is not None else customer.last_name
    customer.middle_name = middle_name if middle_name is not None else customer.middle_name
    customer.main_phone = phone if phone is not None else customer.main_phone
    for key, value in fields:
        if value is None:
            customer.fields.pop(key, None)
        else:
            customer.fields[key] = value
    return ok({"row_affected": 1, "ids": [customer.id]})


def retail_customer_group_get(call: Call) -> dict[str, Any]:
    body = call.body()
    groups = sorted(call.shop.customer_groups.values(), key=lambda g: g.id)
    groups = apply_filters(groups, parse_filters(body, ("id", "parent_id", "name")),
                           {"id": lambda g: g.id, "parent_id": lambda g: g.parent_id,
                            "name": lambda g: g.name})
    ids = int_list(body, "ids")
    if ids:
        groups = [g for g in groups if g.id in ids]
    parent_ids = int_list(body, "parent_ids")
    if parent_ids:
        groups = [g for g in groups if g.parent_id in parent_ids]
    return ok([{"id": g.id, "parent_id": g.parent_id, "name": g.name, "last_update": LAST_UPDATE}
               for g in groups])


def field_get(call: Call) -> dict[str, Any]:
    body = call.body()
    fields = sorted(call.shop.fields.values(), key=lambda f: f.id)
    entity_type = body.get("entity_type")
    if entity_type is not None:
        if not isinstance(entity_type, str):
            raise validation("entity_type", "a string is expected")
        fields = [f for f in fields if f.entity_type.lower() == entity_type.lower()]
    keys = body.get("keys")
    if keys is not None:
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise validation("keys", "an array of strings is expected")
        fields = [f for f in fields if f.key in keys]
    ids = int_list(body, "ids")
    if ids:
        fields = [f for f in fields if f.id in ids]
    return ok([{"id": f.id, "key": f.key, "name": f.name, "entity_type": f.entity_type,
                "data_type": f.data_type, "metadata": None, "is_custom": True, "required": f.required}
               for f in fields])


def card_json(shop: Shop, card: ShopCard) -> dict[str, Any]:
    customer = shop.customers.get(card.customer_id)
    return {
        "id": card.id, "group": {"id": card.group_id, "name": card.group_name},
        "customer": {"id": customer.id, "first_name": customer.first_name,
                     "full_name": customer.full_name} if customer else None,
        "barcode_value": card.barcode_value, "barcode_type": {"id": 1, "name": "EAN13"},
        "promo": {"id": card.promo_id, "name": card.promo_name}, "bonus_amount": card.bonus_amount,
        "date": LAST_UPDATE, "unlimited": card.expiry_date is None, "expiry_date": card.expiry_date,
        "last_purchase": 0, "enabled": card.enabled, "last_update": LAST_UPDATE,
    }


def retail_card_get(call: Call) -> dict[str, Any]:
    body = call.body()
    shop = call.shop
    filters = parse_filters(body, ("id", "ids", "customer_id", "customer_ids", "group_ids",
                                   "promo_ids", "barcode_value"))
    cards = apply_filters(sorted(shop.cards.values(), key=lambda c: c.id), filters, {
        "id": lambda c: c.id, "ids": lambda c: c.id, "customer_id": lambda c: c.customer_id,
        "customer_ids": lambda c: c.customer_id, "group_ids": lambda c: c.group_id,
        "promo_ids": lambda c: c.promo_id, "barcode_value": lambda c: c.barcode_value})
    for key, attr in (("ids", "id"), ("customer_ids", "customer_id"), ("group_ids", "group_id"),
                      ("promo_ids", "promo_id")):
        wanted = int_list(body, key)
        if wanted:
            cards = [c for c in cards if getattr(c, attr) in wanted]
    barcode = body.get("barcode_value")
    if barcode is not None:
        cards = [c for c in cards if c.barcode_value == barcode]
    envelope = page(body, cards, default_limit=100)
    envelope["result"] = [card_json(shop, c) for c in envelope["result"]]
    return envelope


def retail_card_get_balance(call: Call) -> dict[str, Any]:
    filters = parse_filters(call.body(), ("card_id", "promo_id"))
    card_ids = [f.value for f in filters if f.field == "card_id"]
    if not card_ids:
        raise validation("filters.card_id", "a card_id filter is required")
    card = next((c for c in call.shop.cards.values() if str(c.id) == card_ids[0]), None)
    if card is None:
        raise EmuError(1008, "Input validation error: card not found. Details: filters.card_id")
    return ok({"last_update": LAST_UPDATE, "value": card.bonus_amount})


HANDLERS: dict[str, Handler] = {
    "RetailCustomer/Get": retail_customer_get,
    "RetailCustomer/Add": retail_customer_add,
    "RetailCustomer/Edit": retail_customer_edit,
    "RetailCustomerGroup/Get": retail_customer_group_get,
    "Field/Get": field_get,
    "RetailCard/Get": retail_card_get,
    "RetailCard/GetBalance": retail_card_get_balance,
}
