"""Filters checked on the event loop.

aiogram 3 runs a filter that is not a coroutine, a magic filter included, in a worker thread
(``asyncio.to_thread``) every time it tries a handler or an input: a thread hop per handler per
update for what is a dictionary lookup. The compiled handlers and inputs wrap theirs in
:class:`OnLoop`, an aiogram :class:`~aiogram.filters.Filter` (a coroutine), so choosing a
handler never leaves the loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter

__all__ = ["OnLoop", "on_loop"]


class OnLoop(Filter):
    """A magic filter (``F.chat.type == "private"``) checked on the event loop.

    aiogram 3 runs a filter that is not a coroutine in a worker thread (``asyncio.to_thread``)
    for every handler it tries: a thread hop per handler per update for a dictionary lookup.
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"OnLoop({self.magic!r})"


def on_loop(filters: Iterable[Any]) -> list[Any]:
    """``filters`` with every magic filter checked on the event loop (see :class:`OnLoop`)."""
    return [OnLoop(f) if isinstance(f, MagicFilter) else f for f in filters]
