"""Traversals of a validated scenario that yield each element with its YAML path.

The linker and the compiler both need "every widget of this window" or "every action call of
this scenario"; the walking lives here once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.scenario.schema import ActionCall, InputBase, Scenario, WidgetBase, WindowSpec, YamlPath

__all__ = ["CallSite", "YamlPath", "action_calls", "dialog_data_keys", "widgets_of", "windows_of"]


@dataclass(frozen=True)
class CallSite:
    """An action call and where it stands: ``role`` is load | input | handler | job, or what a
    widget kind names (button, select)."""

    path: YamlPath
    call: ActionCall
    role: str
    dialog: str | None
    window: str | None
    #: what the call's arguments get from where it stands (``value``, ``item_id``)
    variables: frozenset[str] = frozenset()


def windows_of(scenario: Scenario) -> Iterator[tuple[str, str, WindowSpec, YamlPath]]:
    for did, dialog in scenario.dialogs.items():
        for wid, window in dialog.windows.items():
            yield did, wid, window, ("dialogs", did, "windows", wid)


def widgets_of(widgets: Sequence[WidgetBase], path: YamlPath,
               ) -> Iterator[tuple[WidgetBase, YamlPath]]:
    """Every widget, depth first, containers before their children."""
    for index, widget in enumerate(widgets):
        here = (*path, index)
        yield widget, here
        if widget.children():
            yield from widgets_of(widget.children(), (*here, "widgets"))


def action_calls(scenario: Scenario) -> Iterator[CallSite]:
    for did, wid, window, wpath in windows_of(scenario):
        if window.load is not None:
            yield CallSite((*wpath, "load"), window.load, "load", did, wid)
        for widget, path in widgets_of(window.keyboard, (*wpath, "keyboard")):
            for key, call, role, variables in widget.action_sites():
                yield CallSite((*path, key), call, role, did, wid, variables)
        if window.input is not None and window.input.action is not None:
            yield CallSite((*wpath, "input", "action"), window.input.action, "input", did, wid,
                           frozenset({"value"}))
    for index, handler in enumerate(scenario.handlers):
        if handler.action is not None:
            yield CallSite(("handlers", index, "action"), handler.action, "handler", None, None)
    for name, job in scenario.jobs.items():
        yield CallSite(("jobs", name, "action"), job.action, "job", None, None)


def dialog_data_keys(scenario: Scenario, provides: dict[str, tuple[str, ...]]) -> set[str]:
    """Keys that may be in dialog data: ``save_as`` targets and what non-load actions provide."""
    keys: set[str] = set()
    for _did, _wid, window, wpath in windows_of(scenario):
        for widget, _ in widgets_of(window.keyboard, (*wpath, "keyboard")):
            keys.update(widget.saved_keys())
        if isinstance(window.input, InputBase) and window.input.save_as:
            keys.add(window.input.save_as)
    for site in action_calls(scenario):
        if site.role not in ("load", "job"):
            keys.update(provides.get(site.call.call, ()))
    return keys
