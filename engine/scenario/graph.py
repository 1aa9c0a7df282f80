"""The flow graph of a scenario: every transition, including those behind action outcomes.

Used by the linker (unreachable windows: :func:`edges`, the ways forward) and by
``python -m engine graph`` (:func:`flow_edges`, which adds the ways back: ``back`` to the window
the user came from, ``done``/``cancel`` to the windows that opened the dialog; :func:`to_dot`,
:func:`write_graph`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.errors import EngineError
from engine.scenario import schema as s
from engine.scenario.registry import tag_of
from engine.scenario.targets import AGAIN, menu_target, resolve_target
from engine.scenario.walk import widgets_of, windows_of

__all__ = ["CLOSED", "IMAGE_FORMATS", "Edge", "edges", "flow_edges", "reachable_windows",
           "to_dot", "write_graph"]

Node = tuple[str, str]  # (dialog, window); handlers are ("@handlers", "<trigger>")
#: where ``done``, ``cancel`` and a first window's ``back`` lead when nothing lies underneath
#: the dialog (opened by a handler or by ``menu``, which start a fresh stack): it closes
CLOSED: Node = ("@end", "closed")
#: ``-o`` suffixes rendered by Graphviz's ``dot``; any other suffix gets DOT text
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_EXITS = ("back", "done", "cancel")
_STYLE = {"back": "style=dashed", "done": 'style=dashed, color="#2e7d32"',
          "cancel": 'style=dotted, color="#9e9e9e"', "then": "style=bold"}


@dataclass(frozen=True)
class Edge:
    """``kind``: go (a window or dialog), menu (a fresh start at the menu), then (a continuation
    once a sub-dialog is done), back, done or cancel (the last three: :func:`flow_edges`)."""

    source: Node
    target: Node
    label: str
    kind: str = "go"


@dataclass(frozen=True)
class _Way:
    """A transition as written: the target is still a name (a window, dialog or keyword)."""

    source: Node
    dialog: str | None
    target: str
    label: str
    kind: str


def _call_ways(call: s.ActionCall | None, source: Node, dialog: str | None,
               via: str) -> Iterator[_Way]:
    if call is None:
        return
    for outcome, route in call.on.items():
        yield _Way(source, dialog, route.go, f"{via}:{outcome}", "go")
        if route.then and route.then != AGAIN and dialog is not None:  # once that dialog is done
            yield _Way(source, dialog, route.then, f"{via}:{outcome}:then", "then")


def _ways(scenario: s.Scenario) -> Iterator[_Way]:
    for did, wid, window, wpath in windows_of(scenario):
        source = (did, wid)
        for widget, _path in widgets_of(window.keyboard, (*wpath, "keyboard")):
            for way in widget.ways():
                if way.go is not None:
                    yield _Way(source, did, way.go, way.label, "go")
                yield from _call_ways(way.call, source, did, way.label)
        if window.skip is not None:
            yield _Way(source, did, window.skip.go, "skip", "go")
        if window.input is not None:
            if window.input.go is not None:
                yield _Way(source, did, window.input.go, f"input:{tag_of(type(window.input))}", "go")
            yield from _call_ways(window.input.action, source, did, "input")
    for handler in scenario.handlers:
        source = ("@handlers", handler.kind.label(handler))
        if handler.go is not None:
            yield _Way(source, None, handler.go, "start", "go")
        yield from _call_ways(handler.action, source, None, "action")


def edges(scenario: s.Scenario) -> Iterator[Edge]:
    """The ways forward: to windows (``back``, ``done`` and ``cancel`` are left out)."""
    for way in _ways(scenario):
        target = resolve_target(scenario, way.target, way.dialog)
        if target is None or target.kind != "window" or target.dialog is None \
                or target.window is None:
            continue
        kind = "menu" if way.target == "menu" else way.kind
        yield Edge(way.source, (target.dialog, target.window), way.label, kind)
    menu = menu_target(scenario)
    if menu is not None and menu.dialog is not None and menu.window is not None:
        yield Edge(("@menu", "menu"), (menu.dialog, menu.window), "menu", "menu")


def _openers(forward: list[Edge]) -> dict[Node, set[Node]]:
    """Per window: what is underneath its dialog when the dialog opens with it (the window that
    started it, or :data:`CLOSED` after a fresh start by a handler or ``menu``)."""
    openers: dict[Node, set[Node]] = {}
    for edge in forward:
        if edge.kind == "menu" or edge.source[0].startswith("@"):
            openers.setdefault(edge.target, set()).add(CLOSED)
        elif edge.source[0] != edge.target[0]:
            openers.setdefault(edge.target, set()).add(edge.source)
    return openers


def flow_edges(scenario: s.Scenario) -> Iterator[Edge]:
    """Every transition: the ways forward and the ways back.

    ``back`` leads to the windows of the same dialog the user can have come from, and, from a
    window a dialog opens with, to what opened it; ``done`` and ``cancel`` to what opened the
    dialog (where a continuation, drawn as its own ``then`` edge, may take over).
    """
    forward = list(edges(scenario))
    yield from forward
    openers = _openers(forward)
    callers: dict[str, set[Node]] = {}
    for (did, _wid), found in openers.items():
        callers.setdefault(did, set()).update(found)
    for way in _ways(scenario):
        if way.target not in _EXITS or way.dialog is None or way.source[0].startswith("@"):
            continue
        if way.target == "back":
            targets = {e.source for e in forward if e.target == way.source and e.kind != "menu"
                       and e.source[0] == way.dialog and e.source != way.source}
            targets |= openers.get(way.source, set())
        else:
            targets = callers.get(way.dialog, set())
        for target in sorted(targets):
            yield Edge(way.source, target, way.label, way.target)


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


def _q(text: str) -> str:
    """A DOT string: regexes of text handlers hold quotes and backslashes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(scenario: s.Scenario) -> str:
    """The flow as Graphviz DOT text: one cluster per dialog, one node per window; the ways
    back dashed (``done`` green), ``cancel`` dotted, continuations bold."""
    all_edges = list(flow_edges(scenario))
    lines = [f"digraph {_q(scenario.scenario)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for did, dialog in scenario.dialogs.items():
        lines.append(f"  subgraph {_q(f'cluster_{did}')} {{ label={_q(did)};")
        lines.extend(f"    {_q(f'{did}.{wid}')} [label={_q(wid)}];" for wid in dialog.windows)
        lines.append("  }")
    outside = sorted({n for e in all_edges for n in (e.source, e.target) if n[0].startswith("@")})
    for node in outside:
        label = "dialog closed" if node == CLOSED else node[1]
        lines.append(f"  {_q('.'.join(node))} [label={_q(label)}, shape=ellipse];")
    for edge in all_edges:
        style = _STYLE.get(edge.kind)
        attrs = f"label={_q(edge.label)}" + (f", {style}" if style else "")
        lines.append(f"  {_q('.'.join(edge.source))} -> {_q('.'.join(edge.target))} [{attrs}];")
    lines.append("}")
    return "\n".join(lines)


def write_graph(dot: str, path: Path) -> None:
    """Write ``dot`` to ``path``: rendered by Graphviz for .svg/.png/.pdf, as text otherwise."""
    image = IMAGE_FORMATS.get(path.suffix.lower())
    if image is None:
        path.write_text(dot + "\n", encoding="utf-8")
        return
    binary = shutil.which("dot")
    if binary is None:
        error = EngineError(f"{path.name} is drawn by Graphviz's 'dot', which is not installed")
        error.hint = ("install Graphviz (apt-get install graphviz, or tools/install-system-deps.sh)"
                      f" or write DOT text with -o {path.with_suffix('.dot').name}")
        raise error
    proc = subprocess.run([binary, f"-T{image}", "-o", str(path)], input=dot.encode(),
                          capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise EngineError(f"Graphviz's 'dot' could not draw {path.name}: {detail[0]}")
