"""Navigation targets, shared by the linker (to check them) and the compiler (to follow them).

A target is a window of the same dialog (``cart``), a dialog (``checkout``: its start window), a
window of another dialog (``checkout.confirm``), or a keyword: ``stay``, ``back``, ``menu``,
``done`` (the dialog finished: a continuation of its caller is taken), ``cancel`` (closed
without finishing). A route's continuation (``then:``) is a target or ``again``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from engine.scenario.schema import Scenario

__all__ = ["AGAIN", "ID_PATTERN", "KEYWORDS", "Target", "all_targets", "resolve_target",
           "start_window"]

KEYWORDS = ("stay", "back", "menu", "done", "cancel")
#: ``then: again``: run the action whose outcome started the sub-dialog once more
AGAIN = "again"
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")

TargetKind = Literal["window", "stay", "back", "menu", "done", "cancel"]


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    dialog: str | None = None
    window: str | None = None

    @property
    def crosses_dialog(self) -> bool:
        return self.kind == "window"


def start_window(scenario: Scenario, dialog_id: str) -> str:
    dialog = scenario.dialogs[dialog_id]
    return dialog.start or next(iter(dialog.windows))


def menu_target(scenario: Scenario) -> Target | None:
    if scenario.menu is None:
        first = next(iter(scenario.dialogs))
        return Target("window", first, start_window(scenario, first))
    return resolve_target(scenario, scenario.menu, None)


def resolve_target(scenario: Scenario, target: str, dialog_id: str | None) -> Target | None:
    """The target named by ``target`` as seen from ``dialog_id`` (None outside dialogs)."""
    if target in KEYWORDS:
        if target == "menu":
            return menu_target(scenario) if scenario.menu != "menu" else None
        return Target(target)  # type: ignore[arg-type]
    if "." in target:
        dialog, _, window = target.partition(".")
        spec = scenario.dialogs.get(dialog)
        if spec is not None and window in spec.windows:
            return Target("window", dialog, window)
        return None
    if dialog_id is not None and target in scenario.dialogs[dialog_id].windows:
        return Target("window", dialog_id, target)
    if target in scenario.dialogs and start_window_exists(scenario, target):
        return Target("window", target, start_window(scenario, target))
    return None


def start_window_exists(scenario: Scenario, dialog_id: str) -> bool:
    dialog = scenario.dialogs[dialog_id]
    return dialog.start is None or dialog.start in dialog.windows


def all_targets(scenario: Scenario, dialog_id: str | None) -> list[str]:
    """Every valid target name from ``dialog_id`` (for "did you mean")."""
    names: list[str] = list(KEYWORDS)
    if dialog_id is not None:
        names.extend(scenario.dialogs[dialog_id].windows)
    for did, dialog in scenario.dialogs.items():
        names.append(did)
        names.extend(f"{did}.{wid}" for wid in dialog.windows)
    return names
