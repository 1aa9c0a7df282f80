"""``input: {type: text, min_length, max_length, regex}``: a text message, trimmed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from aiogram.enums import ContentType
from aiogram.types import Message
from pydantic import Field

from engine.scenario import schema as s
from engine.scenario.kinds import Linking
from engine.widgets.inputs import Refusal

__all__ = ["TextInput"]


class TextInput(s.InputBase):
    type: Literal["text"]
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1, le=4096)
    regex: str | None = None

    def content_types(self) -> Sequence[str]:
        return [ContentType.TEXT]

    def accept(self, message: Message) -> Any:
        text = (message.text or "").strip()
        if self.min_length is not None and len(text) < self.min_length:
            return Refusal("too_short", {"min_length": self.min_length})
        if self.max_length is not None and len(text) > self.max_length:
            return Refusal("too_long", {"max_length": self.max_length})
        if self.regex is not None and not re.fullmatch(self.regex, text):
            return Refusal("pattern", {})
        return text

    def link(self, lk: Linking, path: s.YamlPath) -> None:
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                lk.err((*path, "regex"), "invalid-regex", f"invalid regular expression: {exc}")
