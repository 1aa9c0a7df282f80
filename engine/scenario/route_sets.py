"""Named shared pieces instead of YAML anchors.

``routes: {added: {ok: ..., out_of_stock: ...}}`` at the top of a scenario is named by an action
call's ``on: added``; in the same way ``inputs:`` by a window's ``input: <name>``, ``documents:``
by a handler's ``document: <name>``, ``refusals:`` by a handler's ``refuse: <name>``.

Runs between the loader and the schema: each name is replaced by a copy of the piece, so every
later stage sees ordinary data, and the copy's positions are those of the definition (a problem
inside a shared piece points where it is written). A name no piece has is an error at the name
with "did you mean"; a piece nothing names is a warning at its key.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

import yaml

from engine.diagnostics import Diagnostic, Diagnostics, did_you_mean
from engine.scenario.loader import LoadedYaml
from engine.scenario.positions import YamlPath

__all__ = ["SHARED", "Expanded", "anchor_warnings", "expand_route_sets"]

# the key that names a piece -> the top-level mapping of pieces, and what a piece is called
SHARED: dict[str, tuple[str, str]] = {
    "on": ("routes", "route set"),
    "input": ("inputs", "shared input"),
    "document": ("documents", "document filter"),
    "refuse": ("refusals", "refusal set"),
}
_SECTIONS = frozenset(section for section, _ in SHARED.values())


@dataclasses.dataclass(frozen=True)
class Expanded:
    """The loaded file with shared pieces expanded, and the places (``(line, col)``) of action
    calls that named no route set: their "outcome not routed" errors follow from the name."""

    loaded: LoadedYaml
    diagnostics: list[Diagnostic]
    unresolved: frozenset[tuple[int, int]] = frozenset()


def _uses(value: Any, path: YamlPath) -> Iterator[tuple[dict[str, Any], str, YamlPath]]:
    """``(mapping, key, path of the mapping)`` for every key naming a shared piece."""
    if isinstance(value, dict):
        for key in SHARED:
            if isinstance(value.get(key), str) and (key != "on" or "call" in value):
                yield value, key, path
        for key, item in value.items():
            yield from _uses(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _uses(item, (*path, index))


def expand_route_sets(loaded: LoadedYaml) -> Expanded:
    """``loaded`` with every named route set (and shared input, document filter, refusal set)
    replaced by its definition."""
    data = loaded.data
    if not isinstance(data, dict):
        return Expanded(loaded, [])
    out = Diagnostics()
    used: set[tuple[str, str]] = set()
    unresolved: set[tuple[int, int]] = set()
    copies: list[tuple[YamlPath, YamlPath]] = []
    data = copy.deepcopy(data)
    pieces: dict[str, dict[str, Any]] = {}
    for section in _SECTIONS:
        found = data.get(section)
        pieces[section] = found if isinstance(found, dict) else {}
    for top, part in data.items():
        if top in _SECTIONS:
            continue
        for mapping, key, path in _uses(part, (top,)):
            section, what = SHARED[key]
            named: dict[str, Any] = pieces[section]
            name = mapping[key]
            if name in named:
                used.add((section, name))
                mapping[key] = copy.deepcopy(named[name])
                copies.append(((section, name), (*path, key)))
                continue
            pos = loaded.positions.node((*path, key)) or loaded.positions.lookup((*path, key))
            out.error(pos.file, pos.line, pos.col, f"unknown-{what.replace(' ', '-')}",
                      f"no {what} '{name}'{did_you_mean(name, named)}",
                      f"{what}s are named under '{section}:' at the top of the scenario: "
                      f"{', '.join(sorted(named)) or 'none yet'}")
            if key != "on":
                continue
            mapping[key] = {}
            for spot in (loaded.positions.node(path), loaded.positions.key(path), pos):
                if spot is not None:
                    unresolved.add((spot.line, spot.col))
    for section, what in SHARED.values():
        for name in pieces[section]:
            if (section, name) not in used:
                pos = loaded.positions.lookup((section, name))
                out.warning(pos.file, pos.line, pos.col, f"unused-{what.replace(' ', '-')}",
                            f"{what} '{name}' is not used anywhere",
                            f"name it where it is needed, or remove it from '{section}:'")
    expanded = dataclasses.replace(loaded, data=data,
                                   positions=loaded.positions.grafted(copies))
    return Expanded(expanded, out.sorted(), frozenset(unresolved))


def anchor_warnings(loaded: LoadedYaml) -> list[Diagnostic]:
    """``yaml-anchor``: a warning at each anchor (``&name``) the scenario defines. Anchors work,
    but a reader must know YAML to follow them; a named piece says what it is."""
    text = "\n".join(loaded.lines)
    if "&" not in text:
        return []
    uses: dict[str, int] = {}
    anchors: list[tuple[str, int, int]] = []
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            name = getattr(event, "anchor", None)
            if name is None:
                continue
            if isinstance(event, yaml.AliasEvent):
                uses[name] = uses.get(name, 0) + 1
            elif event.start_mark is not None:
                anchors.append((name, event.start_mark.line + 1, event.start_mark.column + 1))
    except yaml.YAMLError:  # pragma: no cover - the loader read this text already
        return []
    out = Diagnostics()
    for name, line, col in anchors:
        count = uses.get(name, 0)
        out.warning(loaded.file, line, col, "yaml-anchor",
                    f"anchor '&{name}' shares a piece of the scenario through YAML (used "
                    f"{count} time{'s' if count != 1 else ''})",
                    "name it instead: a route set (routes: {name: {...}}, then 'on: name') or a "
                    "shared piece (inputs:, documents:, refusals:)")
    return out.sorted()
