"""Read REGOS success payloads into the typed models, tolerating missing optional fields and nulls.

A payload of the wrong shape raises :class:`~actions.regos.errors.RegosApiError` naming the
method and the path of the bad value, never ``AttributeError`` / ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from actions.regos.errors import RegosApiError
from actions.regos.models import Card, Customer, Item, ItemExt, ItemGroup, Order, Unit, UnitType

__all__ = ["Obj", "parse_card", "parse_customer", "parse_group", "parse_item_ext", "parse_list",
           "parse_order"]

# Swagger numeric aliases of UnitType: <non_pcs | 1>, <pcs | 2>.
_UNIT_TYPES: dict[object, UnitType] = {"pcs": "pcs", "non_pcs": "non_pcs", 2: "pcs", 1: "non_pcs"}


class Obj:
    """A JSON object from a response, with typed getters that report the path of a bad value."""

    def __init__(self, data: Any, method: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise RegosApiError(f"{method}: {path or 'result'} is not an object", method=method)
        self.data: Mapping[str, Any] = data
        self.method = method
        self.path = path

    def _bad(self, key: str, expected: str) -> RegosApiError:
        where = f"{self.path}.{key}" if self.path else key
        return RegosApiError(f"{self.method}: {where} is not {expected}: {self.data.get(key)!r:.60}",
                             method=self.method)

    def opt_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, "an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise self._bad(key, "an integer")

    def need_int(self, key: str) -> int:
        value = self.opt_int(key)
        if value is None:
            raise self._bad(key, "an integer")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, "a string")
        if isinstance(value, str):
            return value
        if isinstance(value, int | Decimal):
            return str(value)
        raise self._bad(key, "a string")

    def text(self, key: str, default: str = "") -> str:
        value = self.opt_text(key)
        return default if value is None else value

    def opt_num(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, "a number")
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise self._bad(key, "a number") from None
            if number.is_finite():
                return number
        raise self._bad(key, "a number")

    def num(self, key: str, default: Decimal = Decimal(0)) -> Decimal:
        value = self.opt_num(key)
        return default if value is None else value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        raise self._bad(key, "a boolean")

    def child(self, key: str) -> Obj | None:
        value = self.data.get(key)
        if value is None:
            return None
        return Obj(value, self.method, f"{self.path}.{key}" if self.path else key)

    def array(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "a list")
        return value


def parse_list(method: str, result: Any) -> list[Obj]:
    """A ``result`` that must be a list of objects (``null`` reads as empty)."""
    if result is None:
        return []
    if not isinstance(result, list):
        raise RegosApiError(f"{method}: result is not a list", method=method)
    return [Obj(row, method, f"result[{i}]") for i, row in enumerate(result)]


def parse_group(row: Obj) -> ItemGroup:
    return ItemGroup(id=row.need_int("id"), parent_id=row.opt_int("parent_id") or 0,
                     name=row.text("name"), path=row.text("path") or row.text("name"),
                     child_count=row.opt_int("child_count") or 0)


def _unit(obj: Obj | None) -> Unit:
    if obj is None:
        # No unit at all: treat as a piece (whole numbers), the stricter reading.
        return Unit(name="", type="pcs")
    raw = obj.data.get("type")
    key = raw.strip().lower() if isinstance(raw, str) else raw
    kind = _UNIT_TYPES.get(key, "pcs") if isinstance(key, str | int) else "pcs"
    return Unit(name=obj.text("name"), type=kind)


def parse_item(obj: Obj) -> Item:
    group = obj.child("group")
    return Item(id=obj.need_int("id"), name=obj.text("name"), code=obj.opt_int("code"),
                articul=obj.text("articul"), description=obj.text("description"),
                group_id=group.opt_int("id") if group is not None else obj.opt_int("group_id"),
                unit=_unit(obj.child("unit")))


def parse_item_ext(row: Obj) -> ItemExt:
    item_obj = row.child("item")
    if item_obj is None:
        raise RegosApiError(f"{row.method}: {row.path}.item is missing", method=row.method)
    item = parse_item(item_obj)
    quantity = row.child("quantity")
    common = quantity.num("common") if quantity else Decimal(0)
    allowed = quantity.opt_num("allowed") if quantity else None
    if allowed is None and quantity is not None:
        allowed = common - quantity.num("booked")
    image = row.opt_text("image_url") or item_obj.opt_text("image_url") or None
    return ItemExt(item=item, price=row.opt_num("price"), quantity_common=common,
                   quantity_allowed=allowed if allowed is not None else Decimal(0), image_url=image)


def parse_fields(obj: Obj) -> dict[str, str]:
    fields: dict[str, str] = {}
    for index, raw in enumerate(obj.array("fields")):
        entry = Obj(raw, obj.method, f"{obj.path}.fields[{index}]")
        key = entry.opt_text("key")
        value = entry.opt_text("value")
        if key and value is not None:
            fields[key] = value
    return fields


def parse_customer(row: Obj) -> Customer:
    first = row.text("first_name")
    last = row.text("last_name")
    full = row.text("full_name") or " ".join(part for part in (last, first) if part)
    return Customer(id=row.need_int("id"), first_name=first, last_name=last, full_name=full,
                    main_phone=row.opt_text("main_phone") or None, fields=parse_fields(row))


def _name_of(obj: Obj | None) -> str | None:
    return obj.opt_text("name") if obj is not None else None


def parse_card(row: Obj) -> Card:
    return Card(id=row.need_int("id"), barcode_value=row.text("barcode_value"),
                bonus_amount=row.num("bonus_amount"), enabled=row.flag("enabled", True),
                expiry_date=row.opt_text("expiry_date") or None,
                group_name=_name_of(row.child("group")), promo_name=_name_of(row.child("promo")))


def parse_order(row: Obj) -> Order:
    return Order(id=row.need_int("id"), code=row.text("code"), date=row.opt_int("date") or 0,
                 amount=row.num("amount"), status_name=_name_of(row.child("status")) or "",
                 external_code=row.opt_text("external_code") or None,
                 description=row.opt_text("description") or None)
