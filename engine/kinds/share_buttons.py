"""``{type: contact, label}`` and ``{type: location, label}``: reply-keyboard buttons that share
the user's own phone number or location (private chats only)."""

from __future__ import annotations

from typing import ClassVar, Literal

from aiogram_dialog.widgets.kbd import Keyboard, RequestContact, RequestLocation

from engine.scenario import schema as s
from engine.scenario.kinds import Building, Linking
from engine.widgets.text import LabelText

__all__ = ["ContactButton", "LocationButton"]


class ContactButton(s.WidgetBase):
    """A reply-keyboard button that shares the user's own phone number (private chats only)."""

    type: Literal["contact"]
    label: str

    reply_only: ClassVar[bool] = True

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.check_label(self.label, scope, (*path, "label"))

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return RequestContact(LabelText(self.label), when=bc.when(self.when))


class LocationButton(s.WidgetBase):
    """A reply-keyboard button that shares the user's location (private chats only)."""

    type: Literal["location"]
    label: str

    reply_only: ClassVar[bool] = True

    def link(self, lk: Linking, path: s.YamlPath, dialog: str, scope: set[str]) -> None:
        lk.check_label(self.label, scope, (*path, "label"))

    def build(self, bc: Building, dialog: str) -> Keyboard:
        return RequestLocation(LabelText(self.label), when=bc.when(self.when))
