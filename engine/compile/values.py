"""What the compile stage produces, as plain values: calls, routes, jobs and the state map.

The runtime reads these; nothing here runs anything. A compiled call or route is immutable, so
one compiled bot can serve many dispatchers, and compiling again (hot reload) makes new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from pydantic import TypeAdapter

from engine.actions import ActionSpec
from engine.scenario import schema as s
from engine.scenario.expressions import Evaluator
from engine.scenario.targets import Target

__all__ = ["CompiledCall", "CompiledHandler", "CompiledJob", "CompiledRoute", "StateMap"]


@dataclass(frozen=True)
class CompiledRoute:
    target: Target
    notice: str | None = None
    reply: str | None = None
    #: the continuation once the dialog this route starts finishes: a target, or ``again``
    then: Target | None = None
    again: bool = False
    #: ``file:line:col`` of the route in the scenario (``""`` when compiled without positions)
    where: str = ""
    #: the template the target window shows instead of its own text (``text:`` of the route)
    text: str | None = None


@dataclass(frozen=True)
class CompiledCall:
    spec: ActionSpec
    args: Mapping[str, Evaluator]
    routes: Mapping[str, CompiledRoute]
    adapters: Mapping[str, TypeAdapter[Any]] = field(default_factory=dict)
    #: stable across restarts (the call's dialog and content): how ``then: again`` finds it
    key: str = ""
    #: ``file:line:col`` of the call in the scenario: what a run-time failure names
    where: str = ""


@dataclass(frozen=True)
class CompiledJob:
    name: str
    every: int
    call: CompiledCall
    #: ``file:line:col`` of the job in the scenario
    where: str = ""


@dataclass(frozen=True)
class StateMap:
    """Stable aiogram states: group ``<scenario>.<dialog>``, state ``<group>:<window>``."""

    states: Mapping[tuple[str, str], State]
    menu: State
    #: per state group: the widget-data keys that are render variables (``pages.<id>``,
    #: ``counters.<id>``: :class:`~engine.scenario.schema.WidgetData`), by the kinds' widgets
    widget_data: Mapping[str, tuple[s.WidgetData, ...]] = field(default_factory=dict)
    #: per (dialog, window): widget-data keys reset when the window is entered forward
    fresh_keys: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    #: calls by :attr:`CompiledCall.key`, for continuations that run a call again
    calls: Mapping[str, CompiledCall] = field(default_factory=dict)
    #: per (dialog, window): its ``skip:`` condition and where a route leads instead
    skips: Mapping[tuple[str, str], tuple[Evaluator, Target]] = field(default_factory=dict)

    def __getitem__(self, key: tuple[str, str]) -> State:
        return self.states[key]


@dataclass(frozen=True)
class CompiledHandler:
    """One ``handlers:`` entry: its spec, its action's call or its route (``go:``)."""

    spec: s.HandlerSpec
    call: CompiledCall | None
    go: CompiledRoute | None
    states: StateMap
    #: ``file:line:col`` of the handler in the scenario
    where: str = ""
