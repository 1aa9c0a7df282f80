"""Message methods: send, edit, delete, copy and forward text and other content.

Every handler runs after schema validation; it applies the limits, then changes the world and
returns the ``result`` of the Bot API reply. Media uploads are in :mod:`.media`, service methods
(getMe, getUpdates, commands, callback answers, chat info) in :mod:`.service`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import Handler, MethodCall
from .errors import bad_request
from .records import Chat, ChatMessage, JsonDict

DELETE_MESSAGES_MAX = 100
LATITUDE_MAX = 90.0
LONGITUDE_MAX = 180.0


async def send_message(call: MethodCall) -> JsonDict:
    chat = call.target_chat()
    text = call.text()
    message = call.world.new_message(
        chat, call.bot.user, text=text.text, entities=text.entities, **call.common_fields(chat)
    )
    return message.to_json()


async def send_location(call: MethodCall) -> JsonDict:
    chat = call.target_chat()
    latitude, longitude = call.params["latitude"], call.params["longitude"]
    if not -LATITUDE_MAX <= latitude <= LATITUDE_MAX:
        raise bad_request("latitude must be between -90 and 90")
    if not -LONGITUDE_MAX <= longitude <= LONGITUDE_MAX:
        raise bad_request("longitude must be between -180 and 180")
    location: JsonDict = {"latitude": latitude, "longitude": longitude}
    if call.params.get("horizontal_accuracy") is not None:
        location["horizontal_accuracy"] = call.params["horizontal_accuracy"]
    message = call.world.new_message(
        chat, call.bot.user, location=location, **call.common_fields(chat)
    )
    return message.to_json()


async def edit_message_text(call: MethodCall) -> JsonDict:
    message = call.message_to_edit()
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = call.text()
    markup = call.edit_markup(message)
    call.require_change(
        (text.text, text.entities, markup)
        != (message.text, message.entities, call.inline_markup(message))
    )
    message.text, message.entities = text.text, text.entities
    call.apply_markup(message, markup)
    return call.stamp_edit(message)


async def edit_message_caption(call: MethodCall) -> JsonDict:
    message = call.message_to_edit()
    if message.photo is None and message.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption = call.caption()
    markup = call.edit_markup(message)
    new_text = caption.text if caption else None
    new_entities = caption.entities if caption else []
    call.require_change(
        (new_text, new_entities, markup)
        != (message.caption, message.caption_entities, call.inline_markup(message))
    )
    message.caption, message.caption_entities = new_text, new_entities
    call.apply_markup(message, markup)
    return call.stamp_edit(message)


async def edit_message_reply_markup(call: MethodCall) -> JsonDict:
    message = call.message_to_edit()
    markup = call.edit_markup(message)
    call.require_change(markup != call.inline_markup(message))
    call.apply_markup(message, markup)
    return call.stamp_edit(message)


def _deletable(call: MethodCall, chat: Chat, message: ChatMessage) -> bool:
    if message.sender.id == call.bot.id or chat.type == "private":
        return True
    return chat.members.get(call.bot.id) in ("creator", "administrator")


async def delete_message(call: MethodCall) -> bool:
    chat = call.world.resolve_chat(call.bot, call.params["chat_id"])
    message = chat.get(call.params["message_id"])
    if message is None:
        raise bad_request("message to delete not found")
    if not _deletable(call, chat, message):
        raise bad_request("message can't be deleted")
    message.deleted = True
    return True


async def delete_messages(call: MethodCall) -> bool:
    chat = call.world.resolve_chat(call.bot, call.params["chat_id"])
    ids: list[int] = call.params["message_ids"]
    if not 1 <= len(ids) <= DELETE_MESSAGES_MAX:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in ids:
        message = chat.get(message_id)
        if message is not None and _deletable(call, chat, message):
            message.deleted = True
    return True


def _source_message(call: MethodCall) -> ChatMessage:
    source_chat = call.world.resolve_chat(call.bot, call.params["from_chat_id"])
    message = source_chat.get(call.params["message_id"])
    if message is None:
        raise bad_request("message to copy not found")
    return message


def _content_of(message: ChatMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "entities": list(message.entities),
        "caption": message.caption,
        "caption_entities": list(message.caption_entities),
        "photo": message.photo,
        "document": message.document,
        "location": message.location,
        "contact": message.contact,
    }


async def copy_message(call: MethodCall) -> JsonDict:
    source = _source_message(call)
    if source.has_protected_content:
        raise bad_request("message has protected content and can't be copied")
    chat = call.target_chat()
    content = _content_of(source)
    if "caption" in call.params and (source.photo or source.document):
        caption = call.caption()
        content["caption"] = caption.text if caption else None
        content["caption_entities"] = caption.entities if caption else []
    copy = call.world.new_message(chat, call.bot.user, **content, **call.common_fields(chat))
    return {"message_id": copy.message_id}


async def forward_message(call: MethodCall) -> JsonDict:
    source = _source_message(call)
    if source.has_protected_content:
        raise bad_request("message has protected content and can't be forwarded")
    chat = call.target_chat()
    origin = source.forward_origin or {
        "type": "user",
        "sender_user": source.sender.to_json(),
        "date": source.date,
    }
    forwarded = call.world.new_message(
        chat,
        call.bot.user,
        forward_origin=origin,
        has_protected_content=bool(call.params.get("protect_content")),
        **_content_of(source),
    )
    return forwarded.to_json()


HANDLERS: Mapping[str, Handler] = {
    "sendMessage": send_message,
    "sendLocation": send_location,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
}
