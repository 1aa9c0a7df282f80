"""``row``, ``column`` and ``group`` (rows of ``width``): widgets that hold widgets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aiogram_dialog.widgets.kbd import Column, Group, Keyboard, Row
from pydantic import Field

from engine.scenario import schema as s
from engine.scenario.kinds import Building

__all__ = ["ColumnWidget", "GroupWidget", "RowWidget"]


class _Container(s.WidgetBase):
    #: the registry's scenario model narrows this to the registered kinds
    widgets: list[s.WidgetBase]

    def children(self) -> Sequence[s.WidgetBase]:
        return self.widgets


class RowWidget(_Container):
    type: Literal["row"]

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return Row(*(bc.widget(w, dialog) for w in self.widgets), when=bc.when(self.when))


class ColumnWidget(_Container):
    type: Literal["column"]

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return Column(*(bc.widget(w, dialog) for w in self.widgets), when=bc.when(self.when))


class GroupWidget(_Container):
    type: Literal["group"]
    width: int = Field(ge=1, le=8)

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return Group(*(bc.widget(w, dialog) for w in self.widgets), width=self.width,
                     when=bc.when(self.when))
