"""Limits the spec states only in prose (or not at all), enforced by hand.

Every function raises :class:`ApiError` with a Telegram-like description. Sources: the Bot API
documentation (text and caption length after entity parsing, callback_data bytes, one action per
inline button, request_contact/request_location in private chats only, media groups of 2-10 items,
upload and download sizes) and community-observed keyboard sizes (8 buttons per row, 100 per inline
keyboard; 12 per row and 300 per reply keyboard).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request
from .html import HtmlParseError, parse_html, trim
from .uploads import Upload

MB = 1024 * 1024
TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
CALLBACK_ANSWER_TEXT_MAX = 200
INLINE_ROW_MAX = 8
INLINE_BUTTONS_MAX = 100
REPLY_ROW_MAX = 12
REPLY_BUTTONS_MAX = 300
PLACEHOLDER_MAX = 64
MEDIA_GROUP_MIN = 2
MEDIA_GROUP_MAX = 10
PHOTO_UPLOAD_MAX = 10 * MB
FILE_UPLOAD_MAX = 50 * MB
DOWNLOAD_MAX = 20 * MB
COMMANDS_MAX = 100
COMMAND_DESCRIPTION_MAX = 256
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

INLINE_PASSIVE_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
BUTTON_STYLES = frozenset({"danger", "success", "primary"})
REPLY_REQUEST_FIELDS = (
    "request_users",
    "request_chat",
    "request_managed_bot",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
PRIVATE_ONLY_REPLY_FIELDS = frozenset({"request_contact", "request_location"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@dataclass(slots=True)
class FormattedText:
    """Text after entity parsing, with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def format_text(
    text: str,
    parse_mode: str | None,
    entities: Sequence[Mapping[str, Any]] | None,
    *,
    strict_ampersand: bool = True,
) -> FormattedText:
    """Parse ``text`` per ``parse_mode`` (or take explicit ``entities``) and trim it."""
    mode = (parse_mode or "").strip()
    if mode and entities:
        entities = None  # Telegram ignores entities when parse_mode is set
    if mode.lower() == "html":
        try:
            plain, parsed = parse_html(text, strict_ampersand=strict_ampersand)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    elif mode.lower() in ("", "markdown", "markdownv2"):
        # Markdown modes are not parsed by the emulator: the text is kept as sent.
        plain, parsed = text, [dict(e) for e in entities or ()]
    else:
        raise bad_request(f"unsupported parse_mode {mode!r}")
    plain, parsed = trim(plain, parsed)
    return FormattedText(plain, parsed)


def check_message_text(
    text: str,
    parse_mode: str | None,
    entities: Sequence[Mapping[str, Any]] | None,
    *,
    strict_ampersand: bool = True,
) -> FormattedText:
    """Message text: 1-4096 characters after entity parsing."""
    formatted = format_text(text, parse_mode, entities, strict_ampersand=strict_ampersand)
    if not formatted.text:
        raise bad_request("message text is empty")
    if len(formatted.text) > TEXT_MAX:
        raise bad_request("message is too long")
    return formatted


def check_caption(
    caption: str | None,
    parse_mode: str | None,
    entities: Sequence[Mapping[str, Any]] | None,
    *,
    strict_ampersand: bool = True,
) -> FormattedText | None:
    """Caption: 0-1024 characters after entity parsing; an empty caption means none."""
    if caption is None:
        return None
    formatted = format_text(caption, parse_mode, entities, strict_ampersand=strict_ampersand)
    if len(formatted.text) > CAPTION_MAX:
        raise bad_request("message caption is too long")
    return formatted if formatted.text else None


def keyboard_kind(markup: Mapping[str, Any] | None) -> str | None:
    """``inline`` / ``reply`` / ``remove`` / ``force_reply`` / None for a reply_markup object."""
    if not markup:
        return None
    for key, kind in (
        ("inline_keyboard", "inline"),
        ("keyboard", "reply"),
        ("remove_keyboard", "remove"),
        ("force_reply", "force_reply"),
    ):
        if key in markup:
            return kind
    return None


def check_reply_markup(markup: Mapping[str, Any] | None, chat_type: str) -> None:
    """Dispatch to the check of the markup's kind."""
    kind = keyboard_kind(markup)
    if markup is None or kind is None:
        return
    if kind == "inline":
        check_inline_keyboard(markup)
    elif kind == "reply":
        check_reply_keyboard(markup, chat_type)
    elif kind == "force_reply":
        _check_placeholder(markup)


def check_inline_keyboard(markup: Mapping[str, Any]) -> None:
    """One action per button, callback_data 1-64 bytes, 8 per row, 100 in all."""
    rows: Sequence[Sequence[Mapping[str, Any]]] = markup["inline_keyboard"]
    _check_size(rows, INLINE_ROW_MAX, INLINE_BUTTONS_MAX)
    for row in rows:
        for button in row:
            actions = sorted(set(button) - INLINE_PASSIVE_FIELDS)
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, got {', '.join(actions)}"
                )
            if "style" in button and button["style"] not in BUTTON_STYLES:
                raise bad_request("can't parse inline keyboard button: invalid button style")
            if "callback_data" in button:
                size = len(button["callback_data"].encode("utf-8"))
                if not 1 <= size <= CALLBACK_DATA_MAX_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")


def check_reply_keyboard(markup: Mapping[str, Any], chat_type: str) -> None:
    """At most one request field per button; contact/location requests in private chats only."""
    rows: Sequence[Sequence[Mapping[str, Any]]] = markup["keyboard"]
    _check_size(rows, REPLY_ROW_MAX, REPLY_BUTTONS_MAX)
    _check_placeholder(markup)
    for row in rows:
        for button in row:
            requests = [name for name in REPLY_REQUEST_FIELDS if button.get(name)]
            if len(requests) > 1:
                raise bad_request(
                    "can't parse keyboard button: at most one of the optional fields can be "
                    f"used, got {', '.join(requests)}"
                )
            for name in requests:
                if name in PRIVATE_ONLY_REPLY_FIELDS and chat_type != "private":
                    raise bad_request(
                        f"can't parse keyboard button: {name} buttons are allowed in private "
                        "chats only"
                    )


def _check_size(rows: Sequence[Sequence[Any]], per_row: int, total: int) -> None:
    if any(len(row) > per_row for row in rows) or sum(len(row) for row in rows) > total:
        raise bad_request("reply markup is too long")


def _check_placeholder(markup: Mapping[str, Any]) -> None:
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and not 1 <= len(placeholder) <= PLACEHOLDER_MAX:
        raise bad_request("input field placeholder must be 1-64 characters long")


def check_callback_answer_text(text: str | None) -> None:
    """answerCallbackQuery text: 0-200 characters."""
    if text is not None and len(text) > CALLBACK_ANSWER_TEXT_MAX:
        raise bad_request("MESSAGE_TOO_LONG: callback answer text must be 0-200 characters")


def check_media_group(media: Sequence[Mapping[str, Any]]) -> None:
    """2-10 items; documents and audio only with their own kind."""
    if not MEDIA_GROUP_MIN <= len(media) <= MEDIA_GROUP_MAX:
        raise bad_request("media group must contain 2-10 items")
    kinds = {item["type"] for item in media}
    for exclusive in ("document", "audio"):
        if exclusive in kinds and len(kinds) > 1:
            raise bad_request(f"{exclusive}s can't be mixed with other media types")


def check_upload(upload: Upload, kind: str) -> None:
    """Uploads: photos up to 10 MB, other files up to 50 MB."""
    if upload.size > FILE_UPLOAD_MAX:
        raise ApiError(413, "Request Entity Too Large")
    if kind == "photo" and upload.size > PHOTO_UPLOAD_MAX:
        raise bad_request("photo is too big: photos can be uploaded up to 10 MB")
    if upload.size == 0:
        raise bad_request("file must be non-empty")


def check_downloadable(size: int) -> None:
    """getFile: bots can download files of up to 20 MB."""
    if size > DOWNLOAD_MAX:
        raise bad_request("file is too big")


def check_chat_action(action: str) -> None:
    """sendChatAction: one of the documented actions."""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


def check_commands(commands: Sequence[Mapping[str, Any]]) -> None:
    """setMyCommands: at most 100; command 1-32 of a-z0-9_; description 1-256 characters."""
    if len(commands) > COMMANDS_MAX:
        raise bad_request("too many commands: at most 100 can be set")
    for command in commands:
        if not _COMMAND_RE.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= COMMAND_DESCRIPTION_MAX:
            raise bad_request("command description must be 1-256 characters long")
