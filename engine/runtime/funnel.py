"""Per-window funnel counts: how many users entered each window, and where they went from it.

Every window a user is shown passes :meth:`Funnel.shown` (a global aiogram-dialog getter, so no
window needs to ask for it). A user entering a window other than the one they were last shown
counts one entry there and one move from the previous window to it; re-rendering the same
window (a counter click, a page) counts nothing. What is left — entered but never moved on — is
where users stopped: a shop sees where customers drop out of checkout.

The counts live in the process (like Prometheus counters, which ``serve`` feeds through
:meth:`Funnel.listen` and which add up across processes); the last window of each user is
remembered for the latest :data:`REMEMBERED` users only.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

from aiogram.types import Chat, User
from aiogram_dialog import DialogManager

__all__ = ["REMEMBERED", "Funnel", "Move"]

REMEMBERED = 100_000
Move = Callable[[str, str | None], None]
"""A listener: ``(the window entered, the window the user came from or None)``."""


class Funnel:
    def __init__(self, scenario: str = "") -> None:
        self.scenario = scenario
        self.entered: Counter[str] = Counter()
        self.moves: Counter[tuple[str, str]] = Counter()
        self._last: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._listeners: list[Move] = []

    def listen(self, listener: Move) -> None:
        self._listeners.append(listener)

    def shown(self, chat_id: int, user_id: int, window: str) -> None:
        """``window`` (``dialog.window``) was shown to this user in this chat."""
        key = (chat_id, user_id)
        previous = self._last.get(key)
        self._last[key] = window
        self._last.move_to_end(key)
        if len(self._last) > REMEMBERED:
            self._last.popitem(last=False)
        if previous == window:
            return
        self.entered[window] += 1
        if previous is not None:
            self.moves[(previous, window)] += 1
        for listener in self._listeners:
            listener(window, previous)

    def window_of(self, state: str) -> str:
        """``dialog.window`` of an aiogram state ``<scenario>.<dialog>:<window>``."""
        group, _, window = state.partition(":")
        dialog = group.removeprefix(f"{self.scenario}.") if self.scenario else \
            group.rpartition(".")[2]
        return f"{dialog}.{window}"

    async def getter(self, dialog_manager: DialogManager, **data: Any) -> dict[str, Any]:
        """The global aiogram-dialog getter (``setup_dialogs(getter=...)``): adds no data."""
        state = dialog_manager.current_context().state.state
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if state and isinstance(user, User):
            chat_id = chat.id if isinstance(chat, Chat) else user.id
            self.shown(chat_id, user.id, self.window_of(state))
        return {}

    def rows(self) -> list[dict[str, Any]]:
        """One row per window entered, most entered first: ``entered``, ``moved_on``,
        ``stopped_here`` (entered minus moved on) and ``next`` (where they went, most first)."""
        rows: list[dict[str, Any]] = []
        for window, entered in self.entered.most_common():
            onward = sorted(((to, n) for (src, to), n in self.moves.items() if src == window),
                            key=lambda pair: (-pair[1], pair[0]))
            moved = sum(n for _, n in onward)
            rows.append({"window": window, "entered": entered, "moved_on": moved,
                         "stopped_here": max(entered - moved, 0),
                         "next": ", ".join(f"{to} ({n})" for to, n in onward)})
        return rows
