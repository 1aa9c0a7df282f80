"""``input: {type: location}``: a shared location; the value: ``{latitude, longitude}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from aiogram.enums import ContentType
from aiogram.types import Message

from engine.scenario import schema as s

__all__ = ["LocationInput"]


class LocationInput(s.InputBase):
    type: Literal["location"]

    def content_types(self) -> Sequence[str]:
        return [ContentType.LOCATION]

    def accept(self, message: Message) -> Any:
        location = message.location
        assert location is not None
        return {"latitude": location.latitude, "longitude": location.longitude}
