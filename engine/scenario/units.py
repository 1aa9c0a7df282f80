"""Sizes and durations as people write them: ``20 MB``, ``512 KB``, ``15m``, ``1h 30m``, ``7d``.

Plain numbers stay valid (bytes, seconds). :data:`Size` and :data:`Duration` are the annotated
types schema fields use; a malformed value is a ``ValueError`` naming the accepted forms, which
the schema stage reports at the value (``invalid-value``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["Duration", "Size", "parse_duration", "parse_size"]

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}
_SIZE_FORMS = "a size like '20 MB', '512 KB', '300 B' (KB = 1024 bytes) or a number of bytes"

_DURATION = re.compile(r"^(?:\d+\s*[smhd]\s*)+$")
_DURATION_PART = re.compile(r"(\d+)\s*([smhd])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_FORMS = "a duration like '60s', '15m', '1h', '1h 30m', '7d' or a number of seconds"


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_size(value: Any) -> int:
    """Bytes from ``20 MB`` / ``512 KB`` / ``300 B`` / a plain number."""
    plain = _number(value)
    if plain is not None:
        return plain
    match = _SIZE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected {_SIZE_FORMS}")
    amount, unit = match.groups()
    return round(float(amount) * _SIZE_UNITS[(unit or "b").lower()])


def parse_duration(value: Any) -> int:
    """Seconds from ``60s`` / ``15m`` / ``1h 30m`` / ``7d`` / a plain number."""
    plain = _number(value)
    if plain is not None:
        return plain
    text = value.strip() if isinstance(value, str) else ""
    if not _DURATION.match(text):
        raise ValueError(f"expected {_DURATION_FORMS}")
    return sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(text))


Size = Annotated[int, BeforeValidator(parse_size)]
Duration = Annotated[int, BeforeValidator(parse_duration)]
