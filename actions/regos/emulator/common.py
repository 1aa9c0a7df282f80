"""What every emulated method shares: the call, ErrorResults, filters, sorting and paging.

The emulator is deliberately strict where the docs are precise, so a client that drifts from
the contract fails in tests: filter keys ``Field`` / ``Operator`` / ``Value`` (either casing, as
the docs print both), ``Value`` a string, operators from ``FilterOperatorEnum``, filter fields
the method knows (custom ``field_*`` keys only when defined), sort directions
``ASC`` / ``DESC`` / ``Default`` exactly, ``limit`` / ``offset`` non-negative integers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from actions.regos.emulator.shop import Shop

__all__ = ["OPERATORS", "Call", "EmuError", "Filter", "Handler", "apply_filters", "as_int", "as_number",
           "digits_of", "int_list", "ok", "page", "parse_filters", "phone_ok", "req_int", "sort_directions",
           "validation"]

T = TypeVar("T")

OPERATORS = ("Default", "Equal", "NotEqual", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
             "Like", "Exists", "NotExists", "In", "NotIn")


class EmuError(Exception):
    """Answered as ``{"ok": false, "result": {"error": code, "description": description}}``."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


def validation(field: str, what: str = "parameters are invalid") -> EmuError:
    return EmuError(1008, f"Input validation error: {what}. Details: {field}")



@dataclass
class Call:
    """One request to an emulated method."""

    shop: Shop
    connected_integration_id: str
    public_base: str
    payload: Any
    now: int  # Unix seconds
    app: str | None = None  # the catalog integration (client_id) calling, None for a local key

    def body(self) -> Mapping[str, Any]:
        if self.payload is None:
            return {}
        if not isinstance(self.payload, Mapping):
            raise validation("body", "a JSON object is expected")
        return self.payload


Handler = Callable[[Call], dict[str, Any]]


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def as_number(value: Any) -> Decimal | None:
    """A JSON number (int or, as parsed by the emulator, ``Decimal``); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    return None


def as_int(value: Any, field: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    if value is None:
        if required:
            raise validation(field, "a required parameter is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(field, "an integer is expected")
    if minimum is not None and value < minimum:
        raise validation(field, f"must be >= {minimum}")
    return value


def req_int(value: Any, field: str, *, minimum: int | None = None) -> int:
    result = as_int(value, field, required=True, minimum=minimum)
    if result is None:  # pragma: no cover - as_int raised already
        raise validation(field, "a required parameter is missing")
    return result


def int_list(body: Mapping[str, Any], key: str) -> list[int] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise validation(key, "an array is expected")
    for index, item in enumerate(value):
        as_int(item, f"{key}[{index}]", required=True)
    return list(value)


def phone_ok(phone: str) -> bool:
    """Digits with optional spaces, dashes, brackets and a leading plus; 9 to 12 digits."""
    stripped = phone.strip()
    if stripped.startswith("+"):
        stripped = stripped[1:]
    digits = "".join(ch for ch in stripped if ch not in " -()")
    return digits.isdigit() and 9 <= len(digits) <= 12


def digits_of(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


@dataclass(frozen=True)
class Filter:
    field: str
    operator: str
    value: str


def _key(entry: Mapping[str, Any], name: str) -> Any:
    return entry.get(name, entry.get(name.lower()))


def parse_filters(body: Mapping[str, Any], known: Iterable[str]) -> list[Filter]:
    """The ``filters`` array; every field must be one of ``known`` (case-insensitive)."""
    raw = body.get("filters")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation("filters", "an array is expected")
    names = {name.lower(): name for name in known}
    filters: list[Filter] = []
    for index, entry in enumerate(raw):
        where = f"filters[{index}]"
        if not isinstance(entry, Mapping):
            raise validation(where, "an object is expected")
        field, operator, value = _key(entry, "Field"), _key(entry, "Operator"), _key(entry, "Value")
        if not isinstance(field, str) or field.lower() not in names:
            raise validation(f"{where}.Field", f"unknown filter field {field!r}")
        if operator not in OPERATORS:
            raise validation(f"{where}.Operator", f"unknown operator {operator!r}")
        if value is None and operator not in ("Exists", "NotExists"):
            raise validation(f"{where}.Value", "a value is required")
        if value is not None and not isinstance(value, str):
            raise validation(f"{where}.Value", "the value must be a string")
        filters.append(Filter(names[field.lower()], operator, value or ""))
    return filters


def _compare(actual: Any, flt: Filter) -> bool:
    op = flt.operator
    if op == "Exists":
        return actual not in (None, "")
    if op == "NotExists":
        return actual in (None, "")
    if op == "Like":
        return flt.value.lower() in str(actual or "").lower()
    if op in ("In", "NotIn"):
        wanted = {part.strip() for part in flt.value.split(",")}
        return (str(actual) in wanted) == (op == "In")
    if op in ("Equal", "Default"):
        return str(actual) == flt.value if actual is not None else False
    if op == "NotEqual":
        return actual is None or str(actual) != flt.value
    try:
        left, right = Decimal(str(actual)), Decimal(flt.value)
    except ArithmeticError:
        return False
    return {"Greater": left > right, "Less": left < right, "GreaterOrEqual": left >= right,
            "LessOrEqual": left <= right}[op]


def apply_filters(rows: Iterable[T], filters: Sequence[Filter],
                  getters: Mapping[str, Callable[[T], Any]]) -> list[T]:
    """Rows matching every filter; a getter may return a list (matches when any element does)."""
    result: list[T] = []
    for row in rows:
        keep = True
        for flt in filters:
            actual = getters[flt.field](row)
            values = actual if isinstance(actual, list | set | tuple) else [actual]
            if flt.operator in ("NotEqual", "NotIn", "NotExists"):
                matched = all(_compare(v, flt) for v in values)
            else:
                matched = any(_compare(v, flt) for v in values)
            if not matched:
                keep = False
                break
        if keep:
            result.append(row)
    return result


def sort_directions(body: Mapping[str, Any], columns: Iterable[str]) -> list[tuple[str, bool]]:
    """``sort_orders`` as ``(column, descending)``; direction must be ASC, DESC or Default."""
    raw = body.get("sort_orders")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation("sort_orders", "an array is expected")
    names = {name.lower(): name for name in columns}
    orders: list[tuple[str, bool]] = []
    for index, entry in enumerate(raw):
        where = f"sort_orders[{index}]"
        if not isinstance(entry, Mapping):
            raise validation(where, "an object is expected")
        column = entry.get("column")
        if not isinstance(column, str) or column.lower() not in names:
            raise validation(f"{where}.column", f"unknown sort column {column!r}")
        direction = entry.get("direction", "Default")
        if direction not in ("ASC", "DESC", "Default"):
            raise validation(f"{where}.direction", f"direction must be ASC or DESC, not {direction!r}")
        orders.append((names[column.lower()], direction == "DESC"))
    return orders


def page(body: Mapping[str, Any], rows: Sequence[Any], *, default_limit: int = 10000,
         max_limit: int = 10000) -> dict[str, Any]:
    """A paged envelope: ``next_offset`` only when more rows follow, and ``total``."""
    limit = as_int(body.get("limit"), "limit", minimum=0)
    offset = as_int(body.get("offset"), "offset", minimum=0) or 0
    limit = default_limit if limit is None or limit == 0 else min(limit, max_limit)
    chunk = list(rows[offset:offset + limit])
    envelope: dict[str, Any] = {"ok": True, "result": chunk, "total": len(rows)}
    if offset + len(chunk) < len(rows):
        envelope["next_offset"] = offset + len(chunk)
    return envelope
