"""``{type: select, id, items, label, item_id, width, page_size, save_as, go | action}``: a
button for each item of a list from the window's data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from aiogram_dialog.widgets.kbd import Keyboard
from pydantic import Field

from engine.kinds.pager import build_pager
from engine.scenario import schema as s
from engine.scenario.kinds import Building, Linking
from engine.scenario.link_handlers import CALLBACK_LIMIT, ITEM_ID_BYTES
from engine.scenario.linker import INTENT_PREFIX_BYTES
from engine.widgets.keyboard import ItemList, page_key
from engine.widgets.text import ItemLabel

__all__ = ["SelectWidget"]


class SelectWidget(s.WidgetBase):
    """Buttons for each item of a list from the window's data.

    ``items`` is an expression giving the list; ``item_id`` the field that identifies an item
    (sent in callback data, so keep it short); ``label`` a label rendered with ``item``.
    A click stores the id in dialog data under ``save_as`` (if given), then runs ``action``
    (with ``item_id`` available to its arguments) or goes to ``go``.
    ``page_size`` pages the list locally (rows of ``width`` buttons).
    """

    type: Literal["select"]
    items: str
    label: str
    item_id: str = "id"
    width: int = Field(default=1, ge=1, le=8)
    page_size: int | None = Field(default=None, ge=1, le=50)
    save_as: str | None = None
    go: str | None = None
    action: s.ActionCall | None = None

    way_out: ClassVar[bool] = True

    def action_sites(self) -> Iterator[tuple[str, s.ActionCall, str, frozenset[str]]]:
        if self.action is not None:
            yield "action", self.action, "select", frozenset({"item_id"})

    def ways(self) -> Iterator[s.Way]:
        yield s.Way(self.id or self.type, self.go, self.action)

    def saved_keys(self) -> Iterator[str]:
        if self.save_as:
            yield self.save_as

    def widget_data(self) -> Iterator[s.WidgetData]:
        if self.id and self.page_size:
            yield s.WidgetData(page_key(f"{self.id}_p"))

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.need_id(self.id, path, "select")
        lk.check_expr(self.items, scope, (*path, "items"), "items")
        lk.check_label(self.label, scope | {"item"}, (*path, "label"))
        if self.go is not None:
            lk.check_target(self.go, dialog, (*path, "go"))
        if self.id and (len(self.id.encode()) + 1 + ITEM_ID_BYTES
                        + INTENT_PREFIX_BYTES > CALLBACK_LIMIT):
            lk.err((*path, "id"), "callback-too-long",
                   f"callback data for list '{self.id}' can exceed {CALLBACK_LIMIT} "
                   f"bytes with item ids of up to {ITEM_ID_BYTES} bytes; shorten the id")
        if self.page_size:
            lk.need_pager_labels(path)

    def build(self, bc: Building, dialog: str) -> Keyboard:
        assert self.id is not None
        route = bc.route(s.Route(go=self.go), dialog) if self.go else None
        call = bc.call(self.action, dialog) if self.action else None
        pager = build_pager(bc, f"{self.id}_p", None, None) if self.page_size else None
        return ItemList(
            self.id, bc.expression(self.items), self.item_id, ItemLabel(self.label), dialog,
            width=self.width, page_size=self.page_size, save_as=self.save_as, call=call,
            route=route, pager=pager, when=bc.when(self.when),
        )
