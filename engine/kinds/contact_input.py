"""``input: {type: contact, own_only}``: a shared contact; by default only the sender's own.
The value: ``{phone (digits only), first_name, last_name, user_id}``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from aiogram.enums import ContentType
from aiogram.types import Message

from engine.scenario import schema as s
from engine.widgets.inputs import Refusal

__all__ = ["ContactInput"]


class ContactInput(s.InputBase):
    """A shared contact; by default only the sender's own contact is accepted."""

    type: Literal["contact"]
    own_only: bool = True

    def content_types(self) -> Sequence[str]:
        return [ContentType.CONTACT]

    def accept(self, message: Message) -> Any:
        contact = message.contact
        assert contact is not None
        sender = message.from_user.id if message.from_user else None
        if self.own_only and contact.user_id != sender:
            return Refusal("foreign_contact", {})
        digits = re.sub(r"\D", "", contact.phone_number)
        return {"phone": digits, "first_name": contact.first_name,
                "last_name": contact.last_name, "user_id": contact.user_id}
