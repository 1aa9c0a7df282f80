"""What a window accepts as a message: validated text, numbers, contacts, locations, documents.

A refused input answers with the input's ``invalid`` label (which receives ``reason``) and keeps
the window; an accepted one is saved under ``save_as`` and runs the action or follows ``go``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from engine.actions import Contact, Document, EventInfo, Location
from engine.compile.executors import flow_of
from engine.compile.values import CompiledCall, CompiledRoute
from engine.scenario import schema as s

__all__ = ["InputRule", "build_input", "check_input", "event_from_message"]


@dataclass(frozen=True)
class Refusal:
    reason: str
    details: dict[str, Any]


@dataclass(frozen=True)
class InputRule:
    spec: s.InputBase
    dialog_id: str
    call: CompiledCall | None
    route: CompiledRoute | None
    pattern: re.Pattern[str] | None = None


def event_from_message(message: Message) -> EventInfo:
    contact = location = document = None
    if message.contact is not None:
        contact = Contact(message.contact.phone_number, message.contact.first_name,
                          message.contact.user_id)
    if message.location is not None:
        location = Location(message.location.latitude, message.location.longitude)
    if message.document is not None:
        d = message.document
        document = Document(d.file_id, d.file_unique_id, d.file_name, d.mime_type, d.file_size)
    reply = message.reply_to_message.message_id if message.reply_to_message else None
    return EventInfo(
        text=message.text or message.caption, message_id=message.message_id,
        reply_to_message_id=reply, contact=contact, location=location, document=document,
    )


def _content_types(spec: s.InputBase) -> Sequence[str]:
    if isinstance(spec, s.TextInput | s.NumberInput):
        return [ContentType.TEXT]
    if isinstance(spec, s.ContactInput):
        return [ContentType.CONTACT]
    if isinstance(spec, s.LocationInput):
        return [ContentType.LOCATION]
    return [ContentType.DOCUMENT]


def check_input(rule: InputRule, message: Message) -> Any | Refusal:
    """The accepted value (JSON-friendly), or why it was refused."""
    spec = rule.spec
    if isinstance(spec, s.TextInput):
        text = (message.text or "").strip()
        if spec.min_length is not None and len(text) < spec.min_length:
            return Refusal("too_short", {"min_length": spec.min_length})
        if spec.max_length is not None and len(text) > spec.max_length:
            return Refusal("too_long", {"max_length": spec.max_length})
        if rule.pattern is not None and not rule.pattern.fullmatch(text):
            return Refusal("pattern", {})
        return text
    if isinstance(spec, s.NumberInput):
        raw = (message.text or "").strip().replace(" ", "").replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return Refusal("not_a_number", {})
        if not number.is_finite():
            return Refusal("not_a_number", {})
        if spec.integer and number != number.to_integral_value():
            return Refusal("not_integer", {})
        if (spec.min is not None and number < Decimal(str(spec.min))) or (
            spec.max is not None and number > Decimal(str(spec.max))
        ):
            return Refusal("out_of_range", {"min": spec.min, "max": spec.max})
        return int(number) if spec.integer else str(number)
    if isinstance(spec, s.ContactInput):
        contact = message.contact
        assert contact is not None
        sender = message.from_user.id if message.from_user else None
        if spec.own_only and contact.user_id != sender:
            return Refusal("foreign_contact", {})
        digits = re.sub(r"\D", "", contact.phone_number)
        return {"phone": digits, "first_name": contact.first_name,
                "last_name": contact.last_name, "user_id": contact.user_id}
    if isinstance(spec, s.LocationInput):
        location = message.location
        assert location is not None
        return {"latitude": location.latitude, "longitude": location.longitude}
    assert isinstance(spec, s.DocumentInput)
    document = message.document
    assert document is not None
    name = document.file_name or ""
    if spec.mime_types and (document.mime_type or "") not in spec.mime_types:
        return Refusal("wrong_type", {"mime_types": spec.mime_types})
    if spec.extensions and not name.lower().endswith(tuple(e.lower() for e in spec.extensions)):
        return Refusal("wrong_type", {"extensions": spec.extensions})
    if document.file_size is not None and document.file_size > spec.max_size:
        return Refusal("too_large", {"max_size": spec.max_size})
    return {"file_id": document.file_id, "file_name": name, "mime_type": document.mime_type,
            "file_size": document.file_size}


def build_input(rule: InputRule) -> MessageInput:
    async def on_message(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        value = check_input(rule, message)
        if isinstance(value, Refusal):
            flow = flow_of(manager)
            scope = {**flow.scope(manager), "reason": value.reason, **value.details}
            await flow.tell(manager, message, flow.label(manager, rule.spec.invalid, scope))
            manager.show_mode = ShowMode.SEND
            return
        if rule.spec.save_as:
            manager.current_context().dialog_data[rule.spec.save_as] = value
        manager.show_mode = ShowMode.SEND
        if rule.call is not None:
            await flow_of(manager).run_call(manager, rule.call, rule.dialog_id,
                                            {"value": value}, event_from_message(message))
        elif rule.route is not None:
            await flow_of(manager).follow_route(manager, rule.route, rule.dialog_id)

    return MessageInput(on_message, content_types=_content_types(rule.spec))


def wrong_kind_input(invalid_label: str) -> MessageInput:
    """Catches messages of a kind the window does not accept (a photo where text is expected)."""

    async def on_other(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        flow = flow_of(manager)
        scope = {**flow.scope(manager), "reason": "wrong_kind"}
        await flow.tell(manager, message, flow.label(manager, invalid_label, scope))
        manager.show_mode = ShowMode.SEND

    return MessageInput(on_other, content_types=ContentType.ANY)
