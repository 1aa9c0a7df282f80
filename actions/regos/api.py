"""The typed REGOS API the bot uses: requests in the documented shape, typed results.

Request shapes follow the current docs: ``filters`` (``Field`` / ``Operator`` / ``Value``, the
Swagger casing; ``Value`` always a string) and ``sort_orders`` with ``ASC`` / ``DESC``. Where
the only contract is the Swagger request model (``Item/GetExt``, ``Field/Get``,
``RetailCustomerGroup/Get``) its top-level fields are used. Each shape has a contract test.

"Not found" and "lookup failed" are never confused: a lookup that gets an error raises it;
``None`` only ever means REGOS answered and nobody matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from actions.regos.client import RegosClient
from actions.regos.models import Card, Customer, ItemExt, ItemGroup, Order, Page
from actions.regos.parsing import (
    Obj,
    parse_card,
    parse_customer,
    parse_group,
    parse_item_ext,
    parse_list,
    parse_order,
)

__all__ = ["TELEGRAM_FIELD", "RegosApi", "flt", "phone_digits"]

TELEGRAM_FIELD = "field_telegram_id"
IMAGE_SIZES = ("Large", "Medium", "Small", "Default")
_SEARCH_LIMIT = 20


def phone_digits(phone: str | None) -> str:
    """Only the ASCII digits of a phone number (``"+998 90 123-45-67"`` → ``"998901234567"``;
    other scripts' digits, which ``\\d`` would keep, are dropped)."""
    return re.sub(r"[^0-9]", "", phone or "")


def flt(field: str, operator: str, value: object) -> dict[str, str]:
    """One documented filter object; ``Value`` is always sent as a string."""
    return {"Field": field, "Operator": operator, "Value": str(value)}


class RegosApi:
    """Typed calls over a :class:`RegosClient` (reads retried, writes never blindly)."""

    def __init__(self, client: RegosClient) -> None:
        self.client = client

    @property
    def connected_integration_id(self) -> str:
        return self.client.connected_integration_id

    # ------------------------------------------------------------------ catalog

    async def item_groups(self) -> list[ItemGroup]:
        """All active item groups (a plain array; ``path`` is ``"Parent/Child"``)."""
        method = "ItemGroup/Get"
        return [parse_group(row) for row in parse_list(method, await self.client.read(method, {}))]

    async def items(self, *, stock_id: int, price_type_id: int, zero_quantity: bool,
                    has_image: bool | None, image_size: str = "Medium", search: str | None = None,
                    group_ids: Sequence[int] | None = None, ids: Sequence[int] | None = None,
                    limit: int, offset: int) -> Page[ItemExt]:
        """A page of items with price and stock (``Item/GetExt``); items without a price are
        never listed (``zero_price: false``). ``has_image`` None = all."""
        if image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}")
        payload: dict[str, Any] = {
            "stock_id": stock_id, "price_type_id": price_type_id, "zero_quantity": zero_quantity,
            "zero_price": False, "image_size": image_size, "limit": limit, "offset": offset,
        }
        if has_image is not None:
            payload["has_image"] = has_image
        if search:
            payload["search"] = search
        if group_ids:
            payload["group_ids"] = list(group_ids)
        if ids:
            payload["ids"] = list(ids)
        method = "Item/GetExt"
        page = await self.client.read_page(method, payload)
        items = [parse_item_ext(row) for row in parse_list(method, page.items)]
        return Page(items=items, next_offset=page.next_offset, total=page.total)

    # ------------------------------------------------------------------ customers

    async def _customers(self, payload: Mapping[str, Any]) -> list[Customer]:
        method = "RetailCustomer/Get"
        page = await self.client.read_page(method, payload)
        return [parse_customer(row) for row in parse_list(method, page.items)]

    async def customer_by_phone(self, phone: str) -> Customer | None:
        """The customer whose *main* phone is exactly these digits, or ``None``.

        First an exact ``main_phone`` filter; then a ``search`` (which also matches names and
        additional phones), accepting only a hit whose main phone has exactly the same digits.
        A lookup error raises: it never reads as "not found".
        """
        digits = phone_digits(phone)
        if not digits:
            raise ValueError("a phone number needs digits")
        found = await self._customers({"filters": [flt("main_phone", "Equal", digits)],
                                       "limit": 5, "offset": 0})
        match = _exact_phone(found, digits)
        if match is not None:
            return match
        found = await self._customers({"search": digits, "limit": _SEARCH_LIMIT, "offset": 0})
        return _exact_phone(found, digits)

    async def customer_by_telegram_id(self, telegram_id: int) -> Customer | None:
        """The customer whose ``field_telegram_id`` holds this id (checked on the result too)."""
        value = str(telegram_id)
        found = await self._customers({"filters": [flt(TELEGRAM_FIELD, "Equal", value)],
                                       "limit": 5, "offset": 0})
        return next((c for c in found if c.fields.get(TELEGRAM_FIELD) == value), None)

    async def add_customer(self, *, group_id: int, first_name: str, last_name: str | None,
                           phone: str | None, telegram_id: int | None) -> int:
        """Create a retail customer (a write); returns the new id."""
        payload: dict[str, Any] = {"group_id": group_id, "first_name": first_name}
        if last_name:
            payload["last_name"] = last_name
        if phone:
            payload["main_phone"] = phone_digits(phone)
        if telegram_id is not None:
            payload["fields"] = [{"key": TELEGRAM_FIELD, "value": str(telegram_id)}]
        return _new_id("RetailCustomer/Add", await self.client.write("RetailCustomer/Add", payload))

    async def link_telegram_id(self, customer_id: int, telegram_id: int) -> None:
        """Write ``field_telegram_id`` on an existing customer (a write)."""
        await self.client.write("RetailCustomer/Edit", {
            "id": customer_id, "fields": [{"key": TELEGRAM_FIELD, "value": str(telegram_id)}]})

    async def field_defined(self, entity_type: str, key: str) -> bool:
        """Whether an additional field (e.g. ``field_telegram_id``) is defined for an entity."""
        method = "Field/Get"
        rows = parse_list(method, await self.client.read(method, {"entity_type": entity_type,
                                                                  "keys": [key]}))
        return any(row.text("key").lower() == key.lower()
                   and row.text("entity_type", entity_type).lower() == entity_type.lower()
                   for row in rows)

    async def customer_group_exists(self, group_id: int) -> bool:
        method = "RetailCustomerGroup/Get"
        rows = parse_list(method, await self.client.read(method, {"ids": [group_id]}))
        return any(row.need_int("id") == group_id for row in rows)

    async def order_source_exists(self, from_id: int) -> bool:
        """Whether ``DeliveryFrom`` (the order source, AddFull's required ``from_id``) exists."""
        method = "DeliveryFrom/Get"
        page = await self.client.read_page(method, {"filters": [flt("id", "Equal", from_id)],
                                                    "limit": 10, "offset": 0})
        return any(row.need_int("id") == from_id and not row.flag("deleted")
                   for row in parse_list(method, page.items))

    # ------------------------------------------------------------------ checkout reference lists

    async def delivery_types(self) -> list[tuple[int, str]]:
        """``(id, name)`` of every ``DeliveryType`` (courier, pickup, ...)."""
        method = "DeliveryType/Get"
        page = await self.client.read_page(method, {"limit": 100, "offset": 0})
        return [(row.need_int("id"), row.text("name")) for row in parse_list(method, page.items)]

    async def payment_types(self) -> list[tuple[int, str]]:
        """``(id, name)`` of the payment types enabled for the front office (``enabled``: True
        or Frontoffice); ``PaymentType/Get`` answers a plain array."""
        method = "PaymentType/Get"
        rows = parse_list(method, await self.client.read(method, {}))
        return [(row.need_int("id"), row.text("name")) for row in rows
                if row.text("enabled", "True") in ("True", "Frontoffice")]

    # ------------------------------------------------------------------ loyalty cards

    async def cards(self, customer_id: int) -> list[Card]:
        method = "RetailCard/Get"
        page = await self.client.read_page(method, {
            "filters": [flt("customer_ids", "Equal", customer_id)], "limit": 100, "offset": 0})
        return [parse_card(row) for row in parse_list(method, page.items)]

    # ------------------------------------------------------------------ orders

    async def add_order(self, document: Mapping[str, Any], operations: Sequence[Mapping[str, Any]]) -> int:
        """Create an order with its lines in one transaction (a write, NEVER retried blindly).

        On :class:`~actions.regos.errors.RegosTimeout` the order may exist: look it up with
        :meth:`orders` by ``external_code`` before sending it again.
        """
        payload = {"document": dict(document), "operations": [dict(op) for op in operations]}
        return _new_id("DocOrderDelivery/AddFull",
                       await self.client.write("DocOrderDelivery/AddFull", payload))

    async def orders(self, *, customer_id: int | None = None, external_code: str | None = None,
                     limit: int = 5, offset: int = 0) -> Page[Order]:
        """Orders, newest first. With ``external_code`` only exact matches are returned (a wrong
        match would make the caller believe an order exists that does not)."""
        filters: list[dict[str, str]] = []
        if customer_id is not None:
            filters.append(flt("customer_id", "Equal", customer_id))
        if external_code is not None:
            filters.append(flt("external_code", "Equal", external_code))
        method = "DocOrderDelivery/Get"
        page = await self.client.read_page(method, {
            "filters": filters, "sort_orders": [{"column": "Date", "direction": "DESC"}],
            "limit": limit, "offset": offset})
        items = [parse_order(row) for row in parse_list(method, page.items)]
        if external_code is not None:
            items = [order for order in items if order.external_code == external_code]
        return Page(items=items, next_offset=page.next_offset, total=page.total)

    async def order(self, order_id: int) -> Order | None:
        """One order as REGOS holds it now (re-read after a webhook names it), or None."""
        method = "DocOrderDelivery/Get"
        result = await self.client.read(method, {"ids": [order_id], "limit": 1})
        found = [parse_order(row) for row in parse_list(method, result)]
        return next((o for o in found if o.id == order_id), None)

    # ------------------------------------------------------------------ settings

    async def integration_settings(self) -> dict[str, str]:
        """This connected integration's settings; keys upper-cased (REGOS keys are case-insensitive)."""
        method = "ConnectedIntegrationSetting/Get"
        result = await self.client.read(method, {"filters": [
            flt("connected_integration_id", "Equal", self.connected_integration_id)]})
        settings: dict[str, str] = {}
        for row in parse_list(method, result):
            key = row.text("key").strip()
            if key:
                settings[key.upper()] = row.text("value")
        return settings

    async def connected_integrations(self, ids: list[str] | None = None) -> dict[str, bool]:
        """The connected integrations this integration may see (``ids`` narrows them), each with
        whether it is active (``ConnectedIntegration/Get``, regos-api.md §12.3)."""
        method = "ConnectedIntegration/Get"
        result = await self.client.read(method, {} if ids is None else {"connected_integration_ids": ids})
        found: dict[str, bool] = {}
        for row in parse_list(method, result):
            ci = row.text("connected_integration_id").strip()
            if ci:
                found[ci] = row.flag("is_active")
        return found


def _exact_phone(customers: list[Customer], digits: str) -> Customer | None:
    return next((c for c in customers if phone_digits(c.main_phone) == digits), None)


def _new_id(method: str, result: Any) -> int:
    return Obj(result, method, "result").need_int("new_id")

