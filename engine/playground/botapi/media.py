"""Media methods: sendPhoto, sendDocument, sendMediaGroup, editMessageMedia and getFile.

A file parameter may be an uploaded multipart part (directly under the parameter's name or
referenced as ``attach://<name>``), an existing ``file_id``, or an HTTP(S) URL, which is recorded
but never fetched. Audio, video and animation items of a media group are stored as documents.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .context import Handler, MethodCall
from .errors import bad_request
from .limits import check_downloadable, check_media_group, check_upload
from .records import JsonDict, StoredFile
from .uploads import Upload
from .validation import ATTACH_PREFIX

OCTET_STREAM = "application/octet-stream"


def resolve_file(call: MethodCall, value: Any, kind: str) -> StoredFile:
    """Turn a file parameter into a stored file, uploading or looking it up as needed."""
    if isinstance(value, str) and value.startswith(ATTACH_PREFIX):
        name = value[len(ATTACH_PREFIX) :]
        if name not in call.files:
            raise bad_request(f'can\'t find attached file "{name}"')
        value = call.files[name]
    if isinstance(value, Upload):
        check_upload(value, kind)
        return call.world.files.add(
            kind,
            value.data,
            file_name=value.filename,
            mime_type=None if value.content_type == OCTET_STREAM else value.content_type,
        )
    if not isinstance(value, str) or not value:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if value.startswith(("http://", "https://")):
        url_name = posixpath.basename(urlsplit(value).path) or None
        return call.world.files.add(kind, None, file_name=url_name, url=value)
    stored = call.world.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if (stored.kind == "photo") != (kind == "photo"):
        raise bad_request(
            f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
        )
    return stored


def _media_fields(stored: StoredFile) -> dict[str, Any]:
    if stored.kind == "photo":
        return {"photo": stored, "document": None}
    return {"photo": None, "document": stored}


async def _send_file(call: MethodCall, param: str, kind: str) -> JsonDict:
    chat = call.target_chat()
    caption = call.caption()
    fields = call.common_fields(chat)
    stored = resolve_file(call, call.params[param], kind)
    message = call.world.new_message(
        chat,
        call.bot.user,
        caption=caption.text if caption else None,
        caption_entities=caption.entities if caption else [],
        **_media_fields(stored),
        **fields,
    )
    return message.to_json()


async def send_photo(call: MethodCall) -> JsonDict:
    return await _send_file(call, "photo", "photo")


async def send_document(call: MethodCall) -> JsonDict:
    return await _send_file(call, "document", "document")


def _item_kind(item: Mapping[str, Any]) -> str:
    return "photo" if item["type"] == "photo" else "document"


async def send_media_group(call: MethodCall) -> list[JsonDict]:
    chat = call.target_chat()
    media: list[Mapping[str, Any]] = call.params["media"]
    check_media_group(media)
    captions = [call.caption(item) for item in media]
    reply = call.reply_target(chat)
    stored = [resolve_file(call, item["media"], _item_kind(item)) for item in media]
    group_id = str(call.world.next_id("media_group", 13_000_000_000_001))
    sent = []
    for caption, file in zip(captions, stored, strict=True):
        message = call.world.new_message(
            chat,
            call.bot.user,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            media_group_id=group_id,
            reply_to=reply,
            has_protected_content=bool(call.params.get("protect_content")),
            **_media_fields(file),
        )
        sent.append(message.to_json())
    return sent


async def edit_message_media(call: MethodCall) -> JsonDict:
    """Replace the media of a message, or turn a text message into a media one (Bot API 10.1:
    "or to replace a text or a rich message with a media")."""
    message = call.message_to_edit()
    if message.photo is None and message.document is None and message.text is None:
        raise bad_request("there is no media in the message to edit")
    item: Mapping[str, Any] = call.params["media"]
    if item["type"] not in ("photo", "document", "audio", "video", "animation"):
        raise bad_request(f"media of type {item['type']} can't be used to edit a message")
    caption = call.caption(item)
    markup = call.edit_markup(message)
    old_file = message.photo or message.document
    value = item["media"]
    same_file = isinstance(value, str) and old_file is not None and value == old_file.file_id
    new_caption = caption.text if caption else None
    new_entities = caption.entities if caption else []
    call.require_change(
        not same_file
        or (new_caption, new_entities, markup)
        != (message.caption, message.caption_entities, call.inline_markup(message))
    )
    stored = resolve_file(call, value, _item_kind(item))
    fields = _media_fields(stored)
    message.photo, message.document = fields["photo"], fields["document"]
    message.caption, message.caption_entities = new_caption, new_entities
    message.text, message.entities = None, []
    call.apply_markup(message, markup)
    return call.stamp_edit(message)


async def get_file(call: MethodCall) -> JsonDict:
    stored = call.world.files.get(call.params["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    check_downloadable(stored.file_size or 0)
    return stored.file_json()


HANDLERS: Mapping[str, Handler] = {
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendMediaGroup": send_media_group,
    "editMessageMedia": edit_message_media,
    "getFile": get_file,
}
