"""Where each compiled call and route was written: ``file:line:col`` for run-time failures.

The loader knows the position of every value (:class:`~engine.scenario.positions.Positions`);
the compile stage looks up each action call (:func:`~engine.scenario.walk.action_calls`) and each
of its routes once, so a compiled call, route, handler or job carries the place of its step and a
run-time failure can name it (:mod:`engine.runtime.executor`). Compiled without positions (a
scenario built in a test), everything is at ``""``.
"""

from __future__ import annotations

from engine.scenario import schema as s
from engine.scenario.positions import Positions, YamlPath
from engine.scenario.walk import action_calls

__all__ = ["CallPositions", "call_positions"]


class CallPositions:
    """``file:line:col`` of the scenario's calls and routes, found by the call's spec object."""

    def __init__(self, positions: Positions | None) -> None:
        self.positions = positions
        self._paths: dict[int, YamlPath] = {}

    def add(self, call: s.ActionCall, path: YamlPath) -> None:
        self._paths.setdefault(id(call), path)

    def at(self, path: YamlPath) -> str:
        if self.positions is None:
            return ""
        pos = self.positions.lookup(path)
        return f"{pos.file}:{pos.line}:{pos.col}"

    def call(self, call: s.ActionCall) -> str:
        path = self._paths.get(id(call))
        return self.at(path) if path is not None else ""

    def route(self, call: s.ActionCall, outcome: str) -> str:
        path = self._paths.get(id(call))
        return self.at((*path, "on", outcome)) if path is not None else ""


def call_positions(scenario: s.Scenario, positions: Positions | None) -> CallPositions:
    found = CallPositions(positions)
    for site in action_calls(scenario):
        found.add(site.call, site.path)
    return found
