"""Named route sets: ``routes: {added: {ok: ..., out_of_stock: ...}}`` at the top of a scenario,
named by an action call's ``on: added`` — the outcome map shared without YAML anchors.

Runs between the loader and the schema: each ``on: <name>`` is replaced by a copy of the named
map, so every later stage sees ordinary outcome maps. A name no set has is an error at the name
(with "did you mean"); a set no action names is a warning at its key.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

from engine.diagnostics import Diagnostic, Diagnostics, did_you_mean
from engine.scenario.loader import LoadedYaml
from engine.scenario.walk import YamlPath

__all__ = ["Expanded", "expand_route_sets"]


@dataclasses.dataclass(frozen=True)
class Expanded:
    """The loaded file with route sets expanded, and the places (``(line, col)``) of calls that
    named no set: their "outcome not routed" errors follow from the unknown name."""

    loaded: LoadedYaml
    diagnostics: list[Diagnostic]
    unresolved: frozenset[tuple[int, int]] = frozenset()


def _calls(value: Any, path: YamlPath) -> Iterator[tuple[dict[str, Any], YamlPath]]:
    """Every mapping with a ``call`` key (an action call), depth first."""
    if isinstance(value, dict):
        if "call" in value:
            yield value, path
        for key, item in value.items():
            yield from _calls(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _calls(item, (*path, index))


def expand_route_sets(loaded: LoadedYaml) -> Expanded:
    """``loaded`` with every ``on: <route set>`` replaced by the set's outcome map."""
    data = loaded.data
    if not isinstance(data, dict):
        return Expanded(loaded, [])
    sets = data.get("routes")
    named: dict[str, Any] = sets if isinstance(sets, dict) else {}
    out = Diagnostics()
    used: set[str] = set()
    unresolved: set[tuple[int, int]] = set()
    data = copy.deepcopy(data)
    for key, part in data.items():
        if key == "routes":
            continue
        for call, path in _calls(part, (key,)):
            name = call.get("on")
            if not isinstance(name, str):
                continue
            if name in named:
                used.add(name)
                call["on"] = copy.deepcopy(named[name])
                continue
            pos = loaded.positions.node((*path, "on")) or loaded.positions.lookup((*path, "on"))
            out.error(pos.file, pos.line, pos.col, "unknown-route-set",
                      f"no route set '{name}'{did_you_mean(name, named)}",
                      f"route sets are named under 'routes:' at the top of the scenario: "
                      f"{', '.join(sorted(named)) or 'none yet'}")
            call["on"] = {}
            for spot in (loaded.positions.node(path), loaded.positions.key(path), pos):
                if spot is not None:
                    unresolved.add((spot.line, spot.col))
    for name in named:
        if name not in used:
            pos = loaded.positions.lookup(("routes", name))
            out.warning(pos.file, pos.line, pos.col, "unused-route-set",
                        f"route set '{name}' is not used by any action",
                        f"name it in an action with 'on: {name}', or remove it")
    return Expanded(dataclasses.replace(loaded, data=data), out.sorted(), frozenset(unresolved))
