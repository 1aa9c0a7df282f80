"""``input: {type: number, min, max, integer}``: a number (spaces and a decimal comma allowed);
the value is an int with ``integer: true``, else the decimal as a string."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from aiogram.enums import ContentType
from aiogram.types import Message

from engine.scenario import schema as s
from engine.widgets.inputs import Refusal

__all__ = ["NumberInput"]


class NumberInput(s.InputBase):
    type: Literal["number"]
    min: int | float | None = None
    max: int | float | None = None
    integer: bool = False

    def content_types(self) -> Sequence[str]:
        return [ContentType.TEXT]

    def accept(self, message: Message) -> Any:
        raw = (message.text or "").strip().replace(" ", "").replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return Refusal("not_a_number", {})
        if not number.is_finite():
            return Refusal("not_a_number", {})
        if self.integer and number != number.to_integral_value():
            return Refusal("not_integer", {})
        if (self.min is not None and number < Decimal(str(self.min))) or (
            self.max is not None and number > Decimal(str(self.max))
        ):
            return Refusal("out_of_range", {"min": self.min, "max": self.max})
        return int(number) if self.integer else str(number)
