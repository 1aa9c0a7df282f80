"""``counters.<id>`` and ``pages.<id>`` in expressions, checked against the window's widgets.

A counter's value and a pager's page exist only where the window has that counter or pager: an
argument reading ``counters.qty`` after the ``qty`` counter was deleted fails when the button is
pressed. Reads written as ``counters.qty`` or ``counters['qty']`` are checked; computed ones
(``counters[name]``) cannot be.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser

from engine.diagnostics import did_you_mean
from engine.scenario import schema as s
from engine.scenario.walk import YamlPath, widgets_of

if TYPE_CHECKING:
    from engine.scenario.linker import _Linker

__all__ = ["WIDGET_SCOPES", "check_reads", "widget_ids", "widget_reads"]

#: the render variable -> the widget type whose ids it holds
WIDGET_SCOPES = {"counters": "counter", "pages": "pager"}
_EXAMPLE = {"counter": "{{type: counter, id: {}}}", "pager": "{{type: pager, id: {}, pages: ...}}"}


def widget_ids(window: s.WindowSpec) -> dict[str, set[str]]:
    """Per render variable (``counters``, ``pages``): the ids of the window's widgets."""
    found: dict[str, set[str]] = {name: set() for name in WIDGET_SCOPES}
    for widget, _path in widgets_of(window.keyboard, ()):
        for data in widget.widget_data():
            if data.scope in found:
                found[data.scope].add(data.ident)
    return found


def _reads(root: nodes.Node) -> Iterator[tuple[str, str]]:
    for node in (root, *root.find_all((nodes.Getattr, nodes.Getitem))):
        if not isinstance(node, nodes.Getattr | nodes.Getitem):
            continue
        owner = node.node
        if not isinstance(owner, nodes.Name) or owner.name not in WIDGET_SCOPES:
            continue
        if isinstance(node, nodes.Getattr):
            yield owner.name, node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            yield owner.name, node.arg.value


def widget_reads(lk: _Linker, source: str, *, expression: bool) -> list[tuple[str, str]]:
    """(``counters``/``pages``, id) read by ``source``: a bare expression or a template string."""
    env = lk.store.environment
    try:
        root = Parser(env, source, state="variable").parse_expression() if expression \
            else env.parse(source)
    except TemplateSyntaxError:  # reported by the syntax check
        return []
    return list(dict.fromkeys(_reads(root)))


def check_reads(lk: _Linker, source: str, path: YamlPath, what: str, *,
                expression: bool) -> None:
    """Report reads of counters and pagers the current window does not have."""
    if lk.widgets is None or not any(scope in source for scope in WIDGET_SCOPES):
        return
    for scope, ident in widget_reads(lk, source, expression=expression):
        kind = WIDGET_SCOPES[scope]
        known = lk.widgets[scope]
        if ident in known:
            continue
        hint = (f"this window's {kind}s: {', '.join(sorted(known))}" if known else
                f"add '{_EXAMPLE[kind].format(ident)}' to this window's keyboard")
        lk.err(path, f"unknown-{kind}",
               f"{what} reads '{scope}.{ident}', but this window has no {kind} '{ident}'"
               f"{did_you_mean(ident, known)}", hint)
