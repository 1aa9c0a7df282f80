"""``text: <regex>``: a message whose text the regex matches; its named groups are variables."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aiogram import F
from aiogram.types import Message

from engine.scenario.kinds import HandlerKind, HandlerLinking
from engine.scenario.walk import YamlPath

__all__ = ["TextTrigger"]


class TextTrigger(HandlerKind):
    key = "text"

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        try:
            re.compile(self.value(handler))
        except re.error as exc:
            lk.err((*path, "text"), "invalid-regex", f"invalid regular expression: {exc}")

    def variables(self, handler: Any) -> set[str]:
        with contextlib.suppress(re.error):
            return set(re.compile(self.value(handler)).groupindex)
        return set()

    def groups(self, handler: Any, message: Message) -> dict[str, Any]:
        match = re.search(self.value(handler), message.text or "")
        return match.groupdict() if match else {}

    def filters(self, handler: Any) -> list[Any]:
        return [F.text.regexp(self.value(handler))]
