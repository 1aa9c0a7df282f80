"""Records of the emulated world and their Bot API JSON form.

The ``to_json`` methods produce exactly the objects the Bot API sends (``User``, ``Chat``,
``Message``, ``PhotoSize``, ``Document``, ``File``), with optional fields left out when empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .limits import keyboard_kind
from .updates import UpdateQueue

JsonDict = dict[str, Any]


@dataclass(slots=True)
class UserAccount:
    """A Telegram user (or a bot's own user)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> JsonDict:
        out: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(slots=True, eq=False)
class BotAccount:
    """A bot: its token, its own user, its update queue and what it configured."""

    token: str
    user: UserAccount
    queue: UpdateQueue = field(repr=False)
    commands: dict[str, list[JsonDict]] = field(default_factory=dict)
    webhook: JsonDict | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str | None:
        return self.user.username


@dataclass(slots=True)
class StoredFile:
    """A file the server knows: uploaded bytes, or only an HTTP URL the bot pointed to."""

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    data: bytes | None = field(default=None, repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int | None:
        return None if self.data is None else len(self.data)

    def _base(self) -> JsonDict:
        out: JsonDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_size is not None:
            out["file_size"] = self.file_size
        return out

    def document_json(self) -> JsonDict:
        out = self._base()
        if self.file_name is not None:
            out["file_name"] = self.file_name
        if self.mime_type is not None:
            out["mime_type"] = self.mime_type
        return out

    def photo_json(self) -> list[JsonDict]:
        return [{**self._base(), "width": self.width, "height": self.height}]

    def file_json(self) -> JsonDict:
        return {**self._base(), "file_path": self.file_path}


@dataclass(frozen=True, slots=True)
class Button:
    """One keyboard button: its label, its action field (``kind``) and that field's value."""

    text: str
    kind: str
    value: Any
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def callback_data(self) -> str | None:
        return self.value if self.kind == "callback_data" else None

    @property
    def url(self) -> str | None:
        return self.value if self.kind == "url" else None

    @property
    def request_contact(self) -> bool:
        return self.kind == "request_contact"

    @property
    def request_location(self) -> bool:
        return self.kind == "request_location"


def parse_buttons(markup: Mapping[str, Any] | None) -> list[list[Button]]:
    """Rows of buttons of an inline or reply keyboard (empty for anything else)."""
    kind = keyboard_kind(markup)
    if markup is None or kind not in ("inline", "reply"):
        return []
    rows = markup["inline_keyboard" if kind == "inline" else "keyboard"]
    out: list[list[Button]] = []
    for row in rows:
        buttons: list[Button] = []
        for raw in row:
            actions = [k for k in raw if k not in ("text", "icon_custom_emoji_id", "style")]
            action = next((k for k in actions if raw[k] not in (False, None)), "text")
            value = raw.get(action, raw["text"])
            buttons.append(Button(raw["text"], action, value, raw))
        out.append(buttons)
    return out


@dataclass(slots=True, eq=False)
class Chat:
    """A private chat (one per bot and user) or a group/supergroup shared by its members."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: UserAccount | None = None
    bot_id: int | None = None
    members: dict[int, str] = field(default_factory=dict)
    messages: list[ChatMessage] = field(default_factory=list, repr=False)
    by_id: dict[int, ChatMessage] = field(default_factory=dict, repr=False)
    next_message_id: int = 1
    reply_keyboard: JsonDict | None = None
    started: bool = False
    blocked: bool = False

    def to_json(self) -> JsonDict:
        out: JsonDict = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            out.update({k: v for k, v in self.user.to_json().items() if k in _PRIVATE_CHAT_KEYS})
            return out
        if self.title is not None:
            out["title"] = self.title
        if self.username is not None:
            out["username"] = self.username
        return out

    def add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self.by_id[message.message_id] = message

    def get(self, message_id: int) -> ChatMessage | None:
        """A message that exists and was not deleted."""
        message = self.by_id.get(message_id)
        return None if message is None or message.deleted else message


_PRIVATE_CHAT_KEYS = ("first_name", "last_name", "username")


@dataclass(slots=True, eq=False)
class ChatMessage:
    """One message as the emulator stores it (the read side of tests and the web chat)."""

    message_id: int
    chat: Chat = field(repr=False)
    sender: UserAccount
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    photo: StoredFile | None = None
    document: StoredFile | None = None
    location: JsonDict | None = None
    contact: JsonDict | None = None
    reply_markup: JsonDict | None = None
    reply_to: ChatMessage | None = field(default=None, repr=False)
    edit_date: int | None = None
    deleted: bool = False
    media_group_id: str | None = None
    forward_origin: JsonDict | None = None
    has_protected_content: bool = False

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def reply_to_message_id(self) -> int | None:
        return None if self.reply_to is None else self.reply_to.message_id

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def content(self) -> str | None:
        """The text, or the caption of a media message."""
        return self.text if self.text is not None else self.caption

    @property
    def keyboard_kind(self) -> str | None:
        """``inline``, ``reply``, ``remove``, ``force_reply`` or None."""
        return keyboard_kind(self.reply_markup)

    @property
    def buttons(self) -> list[list[Button]]:
        """Rows of the attached keyboard (inline or reply)."""
        return parse_buttons(self.reply_markup)

    @property
    def inline_buttons(self) -> list[list[Button]]:
        return self.buttons if self.keyboard_kind == "inline" else []

    def button(self, text: str) -> Button:
        """The button labelled ``text``; ``LookupError`` if there is none."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise LookupError(f"message {self.message_id} has no button {text!r}")

    def to_json(self, *, with_reply: bool = True) -> JsonDict:
        out: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender.to_json(),
            "date": self.date,
            "chat": self.chat.to_json(),
        }
        if self.forward_origin is not None:
            out["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None:
            out["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.edit_date is not None:
            out["edit_date"] = self.edit_date
        if self.has_protected_content:
            out["has_protected_content"] = True
        if self.media_group_id is not None:
            out["media_group_id"] = self.media_group_id
        if self.text is not None:
            out["text"] = self.text
            if self.entities:
                out["entities"] = self.entities
        if self.photo is not None:
            out["photo"] = self.photo.photo_json()
        if self.document is not None:
            out["document"] = self.document.document_json()
        if self.caption is not None:
            out["caption"] = self.caption
            if self.caption_entities:
                out["caption_entities"] = self.caption_entities
        if self.contact is not None:
            out["contact"] = self.contact
        if self.location is not None:
            out["location"] = self.location
        if self.keyboard_kind == "inline":
            out["reply_markup"] = self.reply_markup
        return out


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, as validated (uploads summarised, never their bytes)."""

    method: str
    params: Mapping[str, Any]
    ok: bool
    error_description: str | None = None
    error_code: int | None = None
    token: str = ""
    result: Any = field(default=None, repr=False)
    scripted: bool = False  # the answer was a fault scripted with fail_next


@dataclass(slots=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None


@dataclass(slots=True, eq=False)
class CallbackQueryRecord:
    """A button press the emulator delivered, and the bot's answer once it came."""

    id: str
    token: str
    user: UserAccount
    message: ChatMessage
    data: str
    answer: CallbackAnswer | None = None


@dataclass(slots=True)
class Fault:
    """A scripted error reply for the next matching calls (see ``fail_next``)."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | str | None = None
    times: int = 1
