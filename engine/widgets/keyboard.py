"""Keyboard widgets: buttons that run actions or navigate, item lists, pagers, counters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from aiogram.types import CallbackQuery, InlineKeyboardButton, KeyboardButton
from aiogram_dialog import DialogManager
from aiogram_dialog.api.internal import RawKeyboard
from aiogram_dialog.api.protocols import DialogProtocol
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Keyboard

from engine.actions import EventInfo
from engine.compile.executors import flow_of
from engine.compile.values import CompiledCall, CompiledRoute
from engine.scenario.expressions import Evaluator
from engine.widgets.text import ItemLabel, LabelText

__all__ = ["ActionButton", "ItemList", "Pager"]


def callback_event(callback: CallbackQuery) -> EventInfo:
    message = callback.message
    message_id = message.message_id if message is not None else None
    return EventInfo(message_id=message_id)


class ActionButton(Keyboard):
    """One button: run ``call`` (and route its outcome) or follow ``route``."""

    def __init__(self, id: str, label: LabelText, dialog_id: str, *,
                 call: CompiledCall | None, route: CompiledRoute | None,
                 when: WhenCondition = None) -> None:
        super().__init__(id=id, when=when)
        self.label = label
        self.dialog_id = dialog_id
        self.call = call
        self.route = route

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        text = await self.label.render_text(data, manager)
        return [[InlineKeyboardButton(text=text, callback_data=self._own_callback_data())]]

    async def _process_own_callback(self, callback: CallbackQuery, dialog: DialogProtocol,
                                    manager: DialogManager) -> bool:
        if self.call is not None:
            await flow_of(manager).run_call(manager, self.call, self.dialog_id, {},
                                            callback_event(callback))
        elif self.route is not None:
            await flow_of(manager).follow_route(manager, self.route, self.dialog_id)
        return True


def page_key(widget_id: str) -> str:
    return f"page:{widget_id}"


class ItemList(Keyboard):
    """Buttons for the items of a list; optionally paged locally (``page_size``)."""

    def __init__(self, id: str, items: Evaluator, item_id: str, label: ItemLabel, dialog_id: str,
                 *, width: int, page_size: int | None, save_as: str | None,
                 call: CompiledCall | None, route: CompiledRoute | None, pager: Pager | None,
                 when: WhenCondition = None) -> None:
        super().__init__(id=id, when=when)
        self.items = items
        self.item_id = item_id
        self.label = label
        self.dialog_id = dialog_id
        self.width = width
        self.page_size = page_size
        self.save_as = save_as
        self.call = call
        self.route = route
        self.pager = pager

    def _all_items(self, data: dict[str, Any]) -> Sequence[Any]:
        items = self.items(data)
        return list(items) if items else []

    def _ident(self, item: Any) -> str:
        value = item.get(self.item_id) if isinstance(item, dict) else getattr(item, self.item_id)
        return str(value)

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        items = self._all_items(data)
        pages = 0
        if self.page_size and self.pager is not None:
            pages = max(1, -(-len(items) // self.page_size))
            page = min(self.pager.current(manager), pages - 1)
            items = items[page * self.page_size:(page + 1) * self.page_size]
        rows: RawKeyboard = []
        for pos, item in enumerate(items):
            text = await self.label.render_text({"data": data, "item": item, "pos": pos}, manager)
            button = InlineKeyboardButton(
                text=text, callback_data=self._item_callback_data(self._ident(item))
            )
            if not rows or len(rows[-1]) >= self.width:
                rows.append([])
            rows[-1].append(button)
        if pages and self.pager is not None:
            rows.extend(await self.pager.render_for(pages, data, manager))
        return rows

    async def _process_item_callback(self, callback: CallbackQuery, data: str,
                                     dialog: DialogProtocol, manager: DialogManager) -> bool:
        if self.save_as:
            manager.current_context().dialog_data[self.save_as] = data
        if self.call is not None:
            await flow_of(manager).run_call(manager, self.call, self.dialog_id,
                                            {"item_id": data}, callback_event(callback))
        elif self.route is not None:
            await flow_of(manager).follow_route(manager, self.route, self.dialog_id)
        return True

    async def _process_other_callback(self, callback: CallbackQuery, dialog: DialogProtocol,
                                      manager: DialogManager) -> bool:
        if self.pager is not None:
            return await self.pager.process_callback(callback, dialog, manager)
        return False


class Pager(Keyboard):
    """``‹  page x of y  ›``; the page (0-based) lives in the widget data as ``page:<id>``."""

    def __init__(self, id: str, pages: Evaluator | None, prev: LabelText, page: LabelText,
                 next_: LabelText, when: WhenCondition = None) -> None:
        super().__init__(id=id, when=when)
        self.pages = pages
        self.prev = prev
        self.page = page
        self.next = next_

    def current(self, manager: DialogManager) -> int:
        value = manager.current_context().widget_data.get(page_key(cast(str, self.widget_id)), 0)
        return int(cast(int, value))

    def _set(self, manager: DialogManager, value: int) -> None:
        manager.current_context().widget_data[page_key(cast(str, self.widget_id))] = value

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        total = int(self.pages(data) or 1) if self.pages is not None else 1
        return await self.render_for(total, data, manager)

    async def render_for(self, total: int, data: dict[str, Any],
                         manager: DialogManager) -> RawKeyboard:
        total = max(1, total)
        if total <= 1:
            return []
        current = min(self.current(manager), total - 1)
        scope = {**data, "page": current + 1, "pages_total": total}
        row: list[InlineKeyboardButton | KeyboardButton] = []
        render: Callable[[LabelText], Any] = lambda label: label.render_text(scope, manager)  # noqa: E731
        if current > 0:
            row.append(InlineKeyboardButton(text=await render(self.prev),
                                            callback_data=self._item_callback_data("prev")))
        row.append(InlineKeyboardButton(text=await render(self.page),
                                        callback_data=self._item_callback_data("noop")))
        if current < total - 1:
            row.append(InlineKeyboardButton(text=await render(self.next),
                                            callback_data=self._item_callback_data("next")))
        return [row]

    async def _process_item_callback(self, callback: CallbackQuery, data: str,
                                     dialog: DialogProtocol, manager: DialogManager) -> bool:
        current = self.current(manager)
        if data == "prev":
            self._set(manager, max(0, current - 1))
        elif data == "next":
            self._set(manager, current + 1)
        return True
