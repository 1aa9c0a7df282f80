"""Typed scenario settings: declared in YAML, overridden by the environment (or another source).

Precedence (first wins): the environment, then any extra sources an action package supplies
(e.g. the ERP's integration settings), then the scenario's default. Values are parsed once, at
start-up, into Python types; a missing required setting is a :class:`ConfigError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import ConfigError
from engine.scenario.schema import SettingSpec

__all__ = ["DEFAULT_TIMEZONE", "Settings", "parse_setting", "resolve_settings", "timezone_of"]

DEFAULT_TIMEZONE = "Asia/Tashkent"
"""The time zone of dates shown and work hours when a scenario sets no ``TIMEZONE``.

The one place it is written: templates, the run-time context and actions read it from here
(through :func:`timezone_of` when they hold the settings)."""

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_setting(name: str, kind: str, raw: object) -> Any:
    """Parse one raw value (a string from the environment or the ERP, or a YAML scalar)."""
    if raw is None:
        return None
    text = str(raw).strip() if not isinstance(raw, bool) else ("true" if raw else "false")
    try:
        if kind == "str":
            return text
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text)
        if kind == "bool":
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError("expected 1/true/yes or 0/false/no")
        if kind == "time":
            match = _TIME.match(text)
            if not match:
                raise ValueError("expected HH:MM")
            return time(int(match.group(1)), int(match.group(2)))
        if kind == "timezone":
            return ZoneInfo(text)
        if kind == "int_list":
            return [int(p) for p in re.split(r"[,;\s]+", text) if p]
        if kind == "str_list":
            return [p for p in re.split(r"[,;]\s*", text) if p]
    except (ValueError, InvalidOperation, ZoneInfoNotFoundError) as exc:
        detail = str(exc) or exc.__class__.__name__
        raise ConfigError(f"setting {name}: cannot read {text!r} as {kind} ({detail})") from None
    raise ConfigError(f"setting {name}: unknown type {kind}")


class Settings(Mapping[str, Any]):
    """Read-only typed settings; ``secret`` settings are masked in ``repr``."""

    def __init__(self, values: Mapping[str, Any], secrets: Sequence[str] = ()) -> None:
        self._values = dict(values)
        self._secrets = frozenset(secrets)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def public(self) -> dict[str, Any]:
        """The settings safe to show in templates and logs (secrets removed)."""
        return {k: v for k, v in self._values.items() if k not in self._secrets}

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self._secrets else v) for k, v in self._values.items()}
        return f"Settings({shown!r})"


def timezone_of(settings: Mapping[str, Any]) -> ZoneInfo:
    """The scenario's ``TIMEZONE`` setting, else :data:`DEFAULT_TIMEZONE`."""
    zone = settings.get("TIMEZONE")
    if isinstance(zone, ZoneInfo):
        return zone
    return ZoneInfo(str(zone) if zone else DEFAULT_TIMEZONE)


def resolve_settings(
    specs: Mapping[str, SettingSpec],
    environ: Mapping[str, str],
    sources: Sequence[Mapping[str, str]] = (),
) -> Settings:
    """Resolve every declared setting; all problems are reported together in one ConfigError."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, spec in specs.items():
        raw: object = None
        if name in environ:
            raw = environ[name]
        else:
            for source in sources:
                if name in source:
                    raw = source[name]
                    break
            else:
                raw = spec.default
        try:
            value = parse_setting(name, spec.type, raw)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if (value is None or value == "") and spec.required:
            problems.append(f"setting {name} is required but not set")
            continue
        values[name] = value
    if problems:
        raise ConfigError("; ".join(problems))
    return Settings(values, [n for n, s in specs.items() if s.secret])
