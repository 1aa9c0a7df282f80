"""``{type: pager, id, pages}``: previous / "page x of y" / next for server-side paging; the
page (0-based) is ``pages.<id>`` in the window's ``load`` arguments and templates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from aiogram_dialog.widgets.kbd import Keyboard

from engine.scenario import schema as s
from engine.scenario.kinds import Building, Linking
from engine.widgets.keyboard import Pager, page_key
from engine.widgets.text import LabelText

__all__ = ["PagerWidget", "build_pager"]


class PagerWidget(s.WidgetBase):
    """Previous / "page x of y" / next buttons for server-side paging.

    ``pages`` is an expression over the window's data giving the number of pages. The current
    page (0-based) is available to the window's ``load`` arguments as ``pages.<id>``.
    """

    type: Literal["pager"]
    pages: str

    def widget_data(self) -> Iterator[s.WidgetData]:
        if self.id:
            yield s.WidgetData(page_key(self.id), "pages", self.id, 0)

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.need_id(self.id, path, "pager")
        lk.check_expr(self.pages, scope, (*path, "pages"), "pages")
        lk.need_pager_labels(path)

    def build(self, bc: Building, dialog: str) -> Keyboard:
        assert self.id is not None
        return build_pager(bc, self.id, self.pages, self.when)


def build_pager(bc: Building, widget_id: str, pages: str | None, when: str | None) -> Pager:
    """A pager (also the local pager of a paged ``select``: no ``pages``)."""
    return Pager(widget_id, bc.expression(pages) if pages else None,
                 LabelText("pager.prev"), LabelText("pager.page"), LabelText("pager.next"),
                 when=bc.when(when))
