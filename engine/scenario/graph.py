"""The flow graph of a scenario: every transition, including those behind action outcomes.

Used by the linker (unreachable windows) and by ``python -m engine graph`` (a Graphviz picture).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from engine.scenario import schema as s
from engine.scenario.targets import AGAIN, Target, menu_target, resolve_target
from engine.scenario.walk import widgets_of, windows_of

__all__ = ["Edge", "edges", "reachable_windows", "to_dot"]

Node = tuple[str, str]  # (dialog, window); handlers are ("@handlers", "<trigger>")


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    label: str


def _node(target: Target | None) -> Node | None:
    if target is None or target.kind != "window" or target.dialog is None or target.window is None:
        return None
    return (target.dialog, target.window)


def _call_edges(call: s.ActionCall | None, scenario: s.Scenario, source: Node,
                dialog: str | None, via: str) -> Iterator[Edge]:
    if call is None:
        return
    for outcome, route in call.on.items():
        node = _node(resolve_target(scenario, route.go, dialog))
        if node:
            yield Edge(source, node, f"{via}:{outcome}")
        if route.then and route.then != AGAIN and dialog is not None:  # once that dialog is done
            then = _node(resolve_target(scenario, route.then, dialog))
            if then:
                yield Edge(source, then, f"{via}:{outcome}:then")


def edges(scenario: s.Scenario) -> Iterator[Edge]:
    menu = _node(menu_target(scenario))
    for did, wid, window, wpath in windows_of(scenario):
        source = (did, wid)
        for widget, _path in widgets_of(window.keyboard, (*wpath, "keyboard")):
            if isinstance(widget, s.ButtonWidget | s.SelectWidget):
                label = widget.id or widget.type
                if widget.go is not None:
                    node = _node(resolve_target(scenario, widget.go, did))
                    if node:
                        yield Edge(source, node, label)
                yield from _call_edges(widget.action, scenario, source, did, label)
        if window.input is not None:
            if window.input.go is not None:
                node = _node(resolve_target(scenario, window.input.go, did))
                if node:
                    yield Edge(source, node, f"input:{window.input.type}")
            yield from _call_edges(window.input.action, scenario, source, did, "input")
    for handler in scenario.handlers:
        trigger = (handler.command and f"/{handler.command}") or handler.text or handler.callback \
            or (handler.reply_to and f"reply:{handler.reply_to}") or "fallback"
        source = ("@handlers", str(trigger))
        if handler.go is not None:
            node = _node(resolve_target(scenario, handler.go, None))
            if node:
                yield Edge(source, node, "start")
        yield from _call_edges(handler.action, scenario, source, None, "action")
    if menu:
        yield Edge(("@menu", "menu"), menu, "menu")


def reachable_windows(scenario: s.Scenario) -> set[Node]:
    all_edges = list(edges(scenario))
    graph: dict[Node, list[Node]] = {}
    for edge in all_edges:
        graph.setdefault(edge.source, []).append(edge.target)
    starts = [e.source for e in all_edges if e.source[0].startswith("@")]
    seen: set[Node] = set()
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(graph.get(node, []))
    return {n for n in seen if not n[0].startswith("@")}


def to_dot(scenario: s.Scenario) -> str:
    """The flow as Graphviz DOT text: one cluster per dialog, one node per window."""
    lines = [f'digraph "{scenario.scenario}" {{', "  rankdir=LR;", "  node [shape=box];"]
    for did, dialog in scenario.dialogs.items():
        lines.append(f'  subgraph "cluster_{did}" {{ label="{did}";')
        lines.extend(f'    "{did}.{wid}" [label="{wid}"];' for wid in dialog.windows)
        lines.append("  }")
    for edge in edges(scenario):
        src = ".".join(edge.source)
        dst = ".".join(edge.target)
        lines.append(f'  "{src}" -> "{dst}" [label="{edge.label}"];')
    lines.append("}")
    return "\n".join(lines)
