"""The parts of a scenario that passed the schema, so ``check`` can link them in the same run.

When the schema stage fails, the units its errors fall in are cut out: a window, a handler or a
side message becomes a stub that keeps its name (targets to it stay valid) and that the linker
does not check; a dialog whose ``windows`` are unusable, a job, a setting, an action package or
an optional top-level key is left out. What the cut units would have offered the rest (the names
they ``save_as``, the actions they call, the callbacks they take) is gathered from their raw data,
so that the rest is not blamed for their absence. Problems with ``scenario``, ``locales``,
``templates`` or ``dialogs`` as a whole leave nothing to link against: no salvage.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from engine.scenario.schema import Scenario
from engine.scenario.validate import data_path
from engine.scenario.walk import YamlPath

__all__ = ["Salvaged", "is_under", "salvage"]

_FOUNDATION = frozenset({"scenario", "locales", "templates"})
_STUBS: dict[str, dict[str, Any]] = {
    "windows": {"text": "-"},
    "handlers": {"callback": "-"},
    "messages": {"text": "-"},
}
_ROUNDS = 5


@dataclass(frozen=True)
class Salvaged:
    """``scenario`` holds stubs at the ``broken`` paths (or lacks them); ``loose`` holds what the
    broken units named, by kind: ``save_as``, ``call`` (actions) and ``callback``."""

    scenario: Scenario
    broken: frozenset[YamlPath]
    loose: dict[str, frozenset[str]] = field(default_factory=dict)


def is_under(path: YamlPath, broken: frozenset[YamlPath]) -> bool:
    """Whether ``path`` lies in (or is) one of the ``broken`` units."""
    return any(path[:len(unit)] == unit for unit in broken)


def _unit(path: YamlPath) -> YamlPath | None:
    """The unit an error at ``path`` is cut out with; None when nothing can be cut."""
    if not path or path[0] in _FOUNDATION:
        return None
    head = path[0]
    if head == "dialogs":
        if len(path) == 1:
            return None
        if len(path) >= 4 and path[2] == "windows":
            return path[:4]
        return path[:2] if len(path) == 2 or path[2] == "windows" else path[:3]
    if head in ("handlers", "messages", "jobs", "settings", "actions"):
        return path[:2]
    return path[:1]


def _cut(data: dict[str, Any], unit: YamlPath) -> bool:
    """Replace the unit by its stub, or delete it; False when the path is not in ``data``."""
    parent: Any = data
    for step in unit[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = unit[-1]
    stub = _STUBS.get(str(unit[-2])) if len(unit) >= 2 else None
    if stub is not None and isinstance(parent, dict | list):
        if isinstance(parent, list) and not (isinstance(last, int) and last < len(parent)):
            return False
        parent[last] = dict(stub)  # type: ignore[index]
        return True
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    return False


def _at(data: Any, path: YamlPath) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _strings(data: Any) -> Iterator[tuple[str, str]]:
    """Every (key, string value) pair in nested raw data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                yield str(key), value
            else:
                yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _loose(raw: Any, broken: set[YamlPath]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {"save_as": set(), "call": set(), "callback": set()}
    for unit in broken:
        for key, value in _strings(_at(raw, unit)):
            kind = "call" if key in ("action", "load") else key
            if kind in found:
                found[kind].add(value)
    return {kind: frozenset(values) for kind, values in found.items()}


def salvage(raw: Any, model: type[Scenario]) -> Salvaged | None:
    """The scenario without the units the schema refused, or None when nothing can be linked;
    ``model``: the scenario model of the kind registry in use."""
    if not isinstance(raw, dict):
        return None
    data = copy.deepcopy(raw)
    broken: set[YamlPath] = set()
    for _ in range(_ROUNDS):
        try:
            scenario = model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                unit = _unit(data_path(tuple(error["loc"]), model))
                if unit is None:
                    return None
                if unit not in broken and not _cut(data, unit):
                    return None
                broken.add(unit)
            continue
        return Salvaged(scenario, frozenset(broken), _loose(raw, broken))
    return None
