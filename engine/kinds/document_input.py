"""``input: {type: document, mime_types, extensions, max_size}``: a file (``max_size`` with a
unit: ``20 MB``); the value: ``{file_id, file_name, mime_type, file_size}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from aiogram.enums import ContentType
from aiogram.types import Message
from pydantic import Field

from engine.scenario import schema as s
from engine.scenario.units import Size
from engine.widgets.inputs import Refusal

__all__ = ["DocumentInput"]


class DocumentInput(s.InputBase):
    type: Literal["document"]
    mime_types: list[str] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)
    max_size: Size = Field(default=20 * 1024 * 1024, ge=1, le=50 * 1024 * 1024)

    def content_types(self) -> Sequence[str]:
        return [ContentType.DOCUMENT]

    def accept(self, message: Message) -> Any:
        document = message.document
        assert document is not None
        name = document.file_name or ""
        if self.mime_types and (document.mime_type or "") not in self.mime_types:
            return Refusal("wrong_type", {"mime_types": self.mime_types})
        if self.extensions and not name.lower().endswith(tuple(e.lower() for e in self.extensions)):
            return Refusal("wrong_type", {"extensions": self.extensions})
        if document.file_size is not None and document.file_size > self.max_size:
            return Refusal("too_large", {"max_size": self.max_size})
        return {"file_id": document.file_id, "file_name": name, "mime_type": document.mime_type,
                "file_size": document.file_size}
