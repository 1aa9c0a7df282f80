"""Link checks of routes' continuations (``{go: <dialog>, then: <target> | again}``).

A continuation is taken when the dialog the route starts finishes (``go: done``), in the dialog
that started it. So it needs a ``go`` that starts another dialog, it cannot follow a handler
(handlers start their dialog afresh, with nothing underneath to go on), and it is dead when the
started dialog has no way to finish. Its target is checked by the linker like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from engine.scenario import schema as s
from engine.scenario.targets import AGAIN, resolve_target
from engine.scenario.walk import YamlPath, action_calls, widgets_of, windows_of

__all__ = ["Problem", "check_continuation", "continuation_problems", "finishes"]


class Reporter(Protocol):
    """The part of the linker these checks report through."""

    sc: s.Scenario

    def err(self, path: YamlPath, code: str, message: str, hint: str | None = None,
            *, key: bool = False) -> None: ...

    def warn(self, path: YamlPath, code: str, message: str, hint: str | None = None) -> None: ...

    def check_target(self, target: str, dialog: str | None, path: YamlPath) -> None: ...


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    code: str
    message: str
    hint: str | None = None


def finishes(scenario: s.Scenario, dialog_id: str) -> bool:
    """Whether anything in the dialog leads to ``done`` (a button, a list, an input, a route)."""
    for did, _wid, window, wpath in windows_of(scenario):
        if did != dialog_id:
            continue
        if window.input is not None and window.input.go == "done":
            return True
        for widget, _path in widgets_of(window.keyboard, (*wpath, "keyboard")):
            if any(way.go == "done" for way in widget.ways()):
                return True
    return any(route.go == "done" for site in action_calls(scenario) if site.dialog == dialog_id
               for route in site.call.on.values())


def continuation_problems(scenario: s.Scenario, route: s.Route,
                          dialog: str | None) -> Iterator[Problem]:
    """What is wrong with ``route.then`` (reported at the ``then`` key's value)."""
    if route.then is None:
        return
    if dialog is None:
        yield Problem("error", "then-in-handler",
                      "'then' only works inside dialogs: a handler starts its dialog afresh, "
                      "with nothing to go on from")
        return
    target = resolve_target(scenario, route.go, dialog)
    if target is None:
        return  # the unknown 'go' is reported already
    if target.kind != "window" or target.dialog == dialog:
        what = f"'{route.go}' is a window of this one" if target.kind == "window" \
            else f"'{route.go}' does not start one"
        yield Problem("error", "then-without-dialog",
                      f"'then' needs 'go' to start another dialog, but {what}",
                      "'then' is where this dialog goes on once the started dialog finishes")
        return
    assert target.dialog is not None
    if not finishes(scenario, target.dialog):
        yield Problem("warning", "then-never-taken",
                      f"dialog '{target.dialog}' never finishes (no 'go: done'), so this "
                      "'then' is never taken",
                      "route its success to 'done'; 'cancel' closes a dialog without going on")


def check_continuation(linker: Reporter, route: s.Route, dialog: str | None,
                       path: YamlPath) -> None:
    """Report the problems of ``route.then`` at its key, and check its target like any other."""
    where = (*path, "then")
    for problem in continuation_problems(linker.sc, route, dialog):
        if problem.severity == "error":
            linker.err(where, problem.code, problem.message, problem.hint, key=True)
        else:
            linker.warn(where, problem.code, problem.message, problem.hint)
    if route.then and route.then != AGAIN and dialog is not None:
        linker.check_target(route.then, dialog, where)
