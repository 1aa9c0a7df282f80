"""``{type: counter, id, min, max, default}``: ``-  value  +`` buttons; the value is
``counters.<id>`` in the window's expressions and templates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Counter, Keyboard

from engine.scenario import schema as s
from engine.scenario.kinds import Building, Linking
from engine.widgets.text import CounterLabel, LabelText

__all__ = ["CounterWidget", "EngineCounter", "counter_key"]


def counter_key(widget_id: str) -> str:
    return f"counter:{widget_id}"


class CounterWidget(s.WidgetBase):
    """``-  value  +`` buttons; the value is available as ``counters.<id>``."""

    type: Literal["counter"]
    min: int = 0
    max: int | None = None
    default: int = 1

    def widget_data(self) -> Iterator[s.WidgetData]:
        if self.id:
            yield s.WidgetData(counter_key(self.id), "counters", self.id, self.default)

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.need_id(self.id, path, "counter")
        for key in ("counter.minus", "counter.plus", "counter.value"):
            lk.need_label(key, path)

    def build(self, bc: Building, dialog: str) -> Keyboard:
        assert self.id is not None
        return EngineCounter(
            self.id, plus=LabelText("counter.plus"), minus=LabelText("counter.minus"),
            text=CounterLabel("counter.value"), min_value=self.min,
            max_value=self.max if self.max is not None else 999999,
            default=self.default, when=bc.when(self.when),
        )


class EngineCounter(Counter):
    """aiogram-dialog's Counter storing its value as ``counter:<id>`` in the widget data."""

    def get_widget_data(self, manager: DialogManager, default: Any) -> Any:
        return manager.current_context().widget_data.get(counter_key(str(self.widget_id)),
                                                         default)

    def set_widget_data(self, manager: DialogManager, value: Any) -> Any:
        manager.current_context().widget_data[counter_key(str(self.widget_id))] = value
        return value
