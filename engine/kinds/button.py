"""``{type: button, id, label, go | action, notice}``: a button that goes somewhere or runs an
action whose outcomes are routed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from aiogram_dialog.widgets.kbd import Keyboard

from engine.scenario import schema as s
from engine.scenario.kinds import Building, Linking
from engine.widgets.keyboard import ActionButton
from engine.widgets.text import LabelText

__all__ = ["ButtonWidget"]


class ButtonWidget(s.WidgetBase):
    """A button: ``go`` somewhere, or run an ``action`` and route its outcome."""

    type: Literal["button"]
    label: str
    go: str | None = None
    notice: str | None = None
    action: s.ActionCall | None = None

    way_out: ClassVar[bool] = True

    def action_sites(self) -> Iterator[tuple[str, s.ActionCall, str, frozenset[str]]]:
        if self.action is not None:
            yield "action", self.action, "button", frozenset()

    def ways(self) -> Iterator[s.Way]:
        yield s.Way(self.id or self.type, self.go, self.action)

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.need_id(self.id, path, "button")
        lk.check_label(self.label, scope, (*path, "label"))
        if self.go is None and self.action is None:
            lk.err(path, "dead-button", "a button needs 'go' or 'action'")
        if self.go is not None and self.action is not None:
            lk.err(path, "ambiguous-button",
                   "a button takes 'go' or 'action', not both; route the action's "
                   "outcomes with 'on:' instead")
        if self.go is not None:
            lk.check_target(self.go, dialog, (*path, "go"))
        if self.notice:
            lk.need_label(self.notice, (*path, "notice"))

    def build(self, bc: Building, dialog: str) -> Keyboard:
        route = bc.route(s.Route(go=self.go, notice=self.notice), dialog) \
            if self.go is not None else None
        call = bc.call(self.action, dialog) if self.action else None
        assert self.id is not None
        return ActionButton(self.id, LabelText(self.label), dialog, call=call, route=route,
                            when=bc.when(self.when))
