"""JSON for REGOS: money and quantities stay :class:`~decimal.Decimal` in both directions.

``loads`` parses every JSON number with a fraction or exponent as ``Decimal`` (integers stay
``int``); ``dumps`` writes a ``Decimal`` as a JSON *number* with exactly its digits
(``Decimal("12000.50")`` → ``12000.50``), never through a binary float. The standard library
cannot do the latter: its encoder only knows ``float``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def loads(data: bytes | str) -> Any:
    """Parse JSON; fractional numbers become ``Decimal``; ``NaN``/``Infinity`` are refused."""
    return json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot encode {value} as a JSON number")
    return format(value, "f")  # fixed point: no exponent, digits kept as they are


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        out.append(_decimal(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot encode {value} as a JSON number")
        out.append(float.__repr__(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; ``Decimal`` as an exact JSON number."""
    out: list[str] = []
    _write(value, out)
    return "".join(out).encode("utf-8")
