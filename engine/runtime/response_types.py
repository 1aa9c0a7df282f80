"""Keeps aiogram's parametrised response models alive for the life of the bot.

aiogram reads every Bot API answer with ``Response[method.__returning__]``. pydantic keeps such
parametrised generic models only weakly; they sit in reference cycles, so each full garbage
collection drops them and the next call of that method builds the model again (schema, validator:
milliseconds, a fifth of a bot's CPU under load, measured with ``make bench``). Holding one strong
reference per method class makes the first build the last.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

__all__ = ["KeepResponseTypes"]


class KeepResponseTypes(BaseRequestMiddleware):
    """Bot session middleware: one strong reference to ``Response[T]`` per method class used."""

    def __init__(self) -> None:
        self.kept: dict[type[Any], Any] = {}

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self.kept:
            self.kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
