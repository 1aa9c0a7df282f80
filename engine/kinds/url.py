"""``{type: url, label, url}``: a button that opens a link (a template over the window's data)."""

from __future__ import annotations

from typing import Any, Literal

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Keyboard, Url

from engine.scenario import schema as s
from engine.scenario.expressions import Evaluator
from engine.scenario.kinds import Building, Linking
from engine.widgets.text import LabelText

__all__ = ["UrlWidget"]


class UrlWidget(s.WidgetBase):
    type: Literal["url"]
    label: str
    url: str

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.check_label(self.label, scope, (*path, "label"))
        lk.check_expr_or_template(self.url, scope, (*path, "url"), "url")

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return Url(LabelText(self.label), _UrlText(bc.value(self.url)), when=bc.when(self.when))


class _UrlText(LabelText):
    """The link, rendered from the window's data (not a label)."""

    def __init__(self, url: Evaluator) -> None:
        super().__init__("")
        self.url = url

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return str(self.url(data))
