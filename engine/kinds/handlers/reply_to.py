"""``reply_to: card``: a reply to the side message ``card`` (``messages:``) the bot sent."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message

from engine.compile.executors import handlers_of
from engine.diagnostics import did_you_mean
from engine.scenario.kinds import HandlerKind, HandlerLinking
from engine.scenario.walk import YamlPath

__all__ = ["ReplyToTrigger"]


class ReplyToTrigger(HandlerKind):
    key = "reply_to"

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        name = self.value(handler)
        if name not in lk.sc.messages and ("messages",) not in lk.broken:
            lk.err((*path, "reply_to"), "unknown-message",
                   f"unknown message '{name}'{did_you_mean(name, lk.sc.messages)}")

    def label(self, handler: Any) -> str:
        return f"reply:{self.value(handler)}"

    def filters(self, handler: Any) -> list[Any]:
        name = self.value(handler)

        async def is_reply_to(message: Message, **data: Any) -> bool:
            """A reply to the side message (the runtime looks it up in the bot's index)."""
            return await handlers_of(data).is_reply_to(message, name, data)

        return [is_reply_to]
