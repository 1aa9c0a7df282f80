"""How ``python -m engine shell`` shows what the bot did: messages, keyboards, toasts, rejections.

:class:`Watcher` turns the emulator's recorded calls (and a diff of the chats) into
:class:`Event` s since the previous look; :class:`View` turns messages into terminal lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram_dialog.utils import REPLY_CALLBACK_SYMBOLS

from engine.playground.botapi import (
    ApiCall,
    ApiError,
    BotAccount,
    BotApiEmulator,
    Button,
    Chat,
    ChatMessage,
)

__all__ = ["Deleted", "Event", "Shown", "Toast", "View", "Warning_", "Watcher", "label_of"]

MessageKey = tuple[int, int]  # (chat id, message id)

_STYLES: Mapping[str, tuple[str, str]] = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "code": ("\x1b[36m", "\x1b[39m"),
    "pre": ("\x1b[36m", "\x1b[39m"),
}
_KB = 1024


def label_of(button: Button) -> str:
    """A button's label without aiogram-dialog's invisible reply-keyboard marker."""
    return button.text.rstrip(REPLY_CALLBACK_SYMBOLS)


def format_text(text: str, entities: Sequence[Mapping[str, Any]], *, ansi: bool) -> str:
    """Message text with its entities as terminal styles (or plain), links shown after them."""
    opens: dict[int, list[str]] = defaultdict(list)
    closes: dict[int, list[str]] = defaultdict(list)
    for entity in entities:
        start = int(entity.get("offset", 0))
        end = start + int(entity.get("length", 0))
        kind = str(entity.get("type", ""))
        if ansi and kind in _STYLES:
            on, off = _STYLES[kind]
            opens[start].append(on)
            closes[end].insert(0, off)
        if kind == "text_link" and entity.get("url"):
            closes[end].append(f" ({entity['url']})")
    out: list[str] = []
    position = 0  # in UTF-16 code units, like entity offsets
    for char in text:
        out.extend(closes.pop(position, ()))
        out.extend(opens.pop(position, ()))
        out.append(char)
        position += 2 if ord(char) > 0xFFFF else 1
    for at in sorted({*opens, *closes}):
        out.extend(closes.get(at, ()))
    return "".join(out)


def human_size(size: int) -> str:
    if size < _KB:
        return f"{size} B"
    if size < _KB * _KB:
        return f"{size / _KB:.1f} KB"
    return f"{size / (_KB * _KB):.1f} MB"


def chat_name(chat: Chat) -> str:
    """A short name for a chat: the group's title, or the user of a private chat."""
    if chat.type == "private":
        return f"{chat.user.first_name if chat.user else chat.id}, private"
    return chat.title or str(chat.id)


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Shown:
    """A bot message that is new (or was edited) since the last look."""

    message: ChatMessage
    edited: bool


@dataclass(frozen=True, slots=True)
class Deleted:
    chat: Chat
    message_id: int


@dataclass(frozen=True, slots=True)
class Toast:
    text: str
    alert: bool


@dataclass(frozen=True, slots=True)
class Warning_:  # not "Warning": that is a builtin
    """A call the emulator rejected (schema, limits, a missing chat...)."""

    method: str
    description: str


Event = Shown | Deleted | Toast | Warning_


def _signature(message: ChatMessage) -> tuple[object, ...]:
    return (
        message.deleted, message.text, message.entities, message.caption, message.caption_entities,
        message.photo.file_id if message.photo else None,
        message.document.file_id if message.document else None,
        message.reply_markup, message.edit_date,
    )


@dataclass
class Watcher:
    """Reports what the bot did since the previous :meth:`collect`, in the order it did it."""

    emulator: BotApiEmulator
    bot: BotAccount
    mark: int = 0
    _seen: dict[MessageKey, tuple[object, ...]] = field(default_factory=dict)

    def _messages(self) -> Iterable[ChatMessage]:
        for chat in self.emulator.chats(self.bot):
            yield from (m for m in chat.messages if m.from_bot)

    def _chat(self, chat_id: Any) -> Chat | None:
        try:
            return self.emulator.resolve_chat(self.bot, chat_id)
        except ApiError:
            return None

    def _keys(self, call: ApiCall) -> list[MessageKey]:
        results = call.result if isinstance(call.result, list) else [call.result]
        keys: list[MessageKey] = []
        for result in results:
            if not isinstance(result, Mapping) or "message_id" not in result:
                continue
            chat_json = result.get("chat")
            chat_id = chat_json["id"] if isinstance(chat_json, Mapping) else None
            if chat_id is None:
                chat = self._chat(call.params.get("chat_id"))
                chat_id = chat.id if chat else None
            if chat_id is not None:
                keys.append((int(chat_id), int(result["message_id"])))
        if call.method in ("deleteMessage", "deleteMessages"):
            chat = self._chat(call.params.get("chat_id"))
            ids = call.params.get("message_ids") or [call.params.get("message_id")]
            if chat is not None:
                keys.extend((chat.id, int(i)) for i in ids if isinstance(i, int))
        return keys

    def collect(self) -> list[Event]:
        calls = self.emulator.calls[self.mark:]
        self.mark += len(calls)
        before = self._seen
        now = {(m.chat.id, m.message_id): m for m in self._messages()}
        self._seen = {key: _signature(m) for key, m in now.items()}
        order: list[Event | MessageKey] = []
        placed: set[MessageKey] = set()
        for call in calls:
            if not call.ok:
                description = call.error_description or f"error {call.error_code}"
                if "message is not modified" not in description:  # expected and ignored
                    order.append(Warning_(call.method, description))
            elif call.method == "answerCallbackQuery" and call.params.get("text"):
                order.append(Toast(str(call.params["text"]), bool(call.params.get("show_alert"))))
            for key in self._keys(call) if call.ok else ():
                if key not in placed:
                    placed.add(key)
                    order.append(key)
        changed = [k for k, sig in self._seen.items() if before.get(k) != sig and k not in placed]
        order.extend(sorted(changed))
        events: list[Event] = []
        for item in order:
            if not isinstance(item, tuple):
                events.append(item)
                continue
            message = now.get(item)
            if message is None:
                continue
            if message.deleted:
                if item in before and not before[item][0]:  # [0]: was it deleted
                    events.append(Deleted(message.chat, message.message_id))
            elif item not in before:
                events.append(Shown(message, edited=False))
            elif before[item] != self._seen[item]:
                events.append(Shown(message, edited=True))
        return events


# ----------------------------------------------------------------------------- view


@dataclass(frozen=True)
class View:
    """Terminal lines for messages; ``ansi`` turns on bold and friends (for a tty)."""

    ansi: bool

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.ansi else text

    def message(self, message: ChatMessage, *, edited: bool = False, prefix: str = "",
                files: Mapping[str, str] | None = None) -> list[str]:
        """``files``: file_unique_id -> where the shell saved that file (or why it did not)."""
        head = f"{prefix}#{message.message_id}"
        indent = " " * (len(head) + 1)
        if edited:
            head += " (edited)"
        if message.reply_to is not None:
            head += f" (reply to #{message.reply_to.message_id})"
        if message.forward_origin is not None:
            head += " (forwarded)"
        body = self._media(message, files or {})
        content = message.content
        if content is not None:
            entities = message.entities if message.text is not None else message.caption_entities
            body.extend(format_text(content, entities, ansi=self.ansi).split("\n"))
        body.extend(self._keyboard(message))
        if not body:
            return [head]
        return [f"{head} {body[0]}", *(f"{indent}{line}" if line else "" for line in body[1:])]

    @staticmethod
    def _media(message: ChatMessage, files: Mapping[str, str]) -> list[str]:
        lines: list[str] = []
        if message.photo is not None:
            photo = message.photo
            shown = files.get(photo.file_unique_id)
            lines.append(f"[photo: {shown or photo.url or photo.file_name or photo.file_path}]")
        if message.document is not None:
            doc = message.document
            size = human_size(doc.file_size) if doc.file_size is not None else doc.url or "?"
            shown = files.get(doc.file_unique_id) or doc.file_name or doc.file_path
            lines.append(f"[document: {shown}, {size}]")
        if message.location is not None:
            place = message.location
            lines.append(f"[location: {place['latitude']}, {place['longitude']}]")
        if message.contact is not None:
            contact = message.contact
            lines.append(f"[contact: {contact.get('first_name', '')}, {contact['phone_number']}]")
        return lines

    @staticmethod
    def _keyboard(message: ChatMessage) -> list[str]:
        kind = message.keyboard_kind
        if kind == "inline":
            lines: list[str] = []
            number = 0
            for row in message.inline_buttons:
                cells = []
                for button in row:
                    number += 1
                    extra = "" if button.callback_data is not None else _kind_note(button)
                    cells.append(f"[{number}] {label_of(button)}{extra}")
                lines.append("  ".join(cells))
            return lines
        if kind == "reply":
            buttons = [b for row in message.buttons for b in row]
            cells = [f"<{n}> {label_of(b)}{_kind_note(b)}" for n, b in enumerate(buttons, 1)]
            return ["(keyboard) " + "  ".join(cells)]
        if kind == "remove":
            return ["(keyboard removed)"]
        if kind == "force_reply":
            return ["(asks for a reply)"]
        return []


def _kind_note(button: Button) -> str:
    if button.kind in ("text", "callback_data"):
        return ""
    if button.url is not None:
        return f" ({button.url})"
    return " [" + button.kind.removeprefix("request_") + "]"
