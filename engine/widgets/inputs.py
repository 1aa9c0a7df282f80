"""What a window accepts as a message: the input kinds (``engine/kinds/*_input.py``) decide
what they accept; here the accepted value is saved and routed, a refusal answered.

A refused input answers with the input's ``invalid`` label (which receives ``reason``) and keeps
the window; an accepted one is saved under ``save_as`` and runs the action or follows ``go``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput

from engine.actions import Contact, Document, EventInfo, Location
from engine.compile.executors import flow_of
from engine.compile.filters import OnLoop
from engine.compile.values import CompiledCall, CompiledRoute
from engine.scenario import schema as s

__all__ = ["InputRule", "Refusal", "build_input", "event_from_message", "wrong_kind_input"]


@dataclass(frozen=True)
class Refusal:
    """Why an input kind refused a message: ``reason`` and the details its label receives."""

    reason: str
    details: dict[str, Any]


@dataclass(frozen=True)
class InputRule:
    spec: s.InputBase
    dialog_id: str
    call: CompiledCall | None
    route: CompiledRoute | None


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


def build_input(rule: InputRule) -> MessageInput:
    async def on_message(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        value = rule.spec.accept(message)
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

    # the content types as a filter of ours: aiogram-dialog's own is checked in a worker thread
    kinds = list(rule.spec.content_types())
    if ContentType.ANY in kinds:
        return MessageInput(on_message, content_types=ContentType.ANY)
    return MessageInput(on_message, content_types=ContentType.ANY,
                        filter=OnLoop(F.content_type.in_(kinds)))


def wrong_kind_input(invalid_label: str) -> MessageInput:
    """Catches messages of a kind the window does not accept (a photo where text is expected)."""

    async def on_other(message: Message, widget: MessageInput, manager: DialogManager) -> None:
        flow = flow_of(manager)
        scope = {**flow.scope(manager), "reason": "wrong_kind"}
        await flow.tell(manager, message, flow.label(manager, invalid_label, scope))
        manager.show_mode = ShowMode.SEND

    return MessageInput(on_other, content_types=ContentType.ANY)
