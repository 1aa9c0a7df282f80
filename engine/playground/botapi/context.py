"""What a method handler receives, and the checks several handlers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .limits import FormattedText, check_caption, check_message_text, check_reply_markup
from .records import BotAccount, Chat, ChatMessage, JsonDict
from .uploads import Upload
from .world import World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@dataclass(slots=True)
class MethodCall:
    """One validated Bot API call: the world, the calling bot, parameters and uploaded parts."""

    world: World
    bot: BotAccount
    method: str
    params: dict[str, Any]
    files: Mapping[str, Upload]

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def target_chat(self, key: str = "chat_id") -> Chat:
        """The chat to send to: it must exist and accept messages from the bot."""
        chat = self.world.resolve_chat(self.bot, self.params[key])
        self.world.check_can_send(self.bot, chat)
        return chat

    def markup(self, chat: Chat) -> JsonDict | None:
        """The reply_markup parameter, checked against the limits for this chat."""
        markup: JsonDict | None = self.params.get("reply_markup")
        check_reply_markup(markup, chat.type)
        return markup

    def text(self) -> FormattedText:
        return check_message_text(
            self.params["text"],
            self.params.get("parse_mode"),
            self.params.get("entities"),
            strict_ampersand=self.world.strict_html_ampersand,
        )

    def caption(self, source: Mapping[str, Any] | None = None) -> FormattedText | None:
        values = self.params if source is None else source
        return check_caption(
            values.get("caption"),
            values.get("parse_mode"),
            values.get("caption_entities"),
            strict_ampersand=self.world.strict_html_ampersand,
        )

    def reply_target(self, chat: Chat) -> ChatMessage | None:
        """The message named by reply_parameters (400 if it is gone, unless allowed)."""
        reply: Mapping[str, Any] | None = self.params.get("reply_parameters")
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self.world.resolve_chat(self.bot, reply["chat_id"])
        message = target_chat.get(reply["message_id"])
        if message is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return message

    def common_fields(self, chat: Chat) -> dict[str, Any]:
        """Fields every sent message takes from the call: markup, reply, protection."""
        return {
            "reply_markup": self.markup(chat),
            "reply_to": self.reply_target(chat),
            "has_protected_content": bool(self.params.get("protect_content")),
        }

    def message_to_edit(self) -> ChatMessage:
        """The bot's own message named by chat_id + message_id (edits do not use inline ids)."""
        if self.params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID: inline messages are not emulated")
        if self.params.get("chat_id") is None or self.params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.world.resolve_chat(self.bot, self.params["chat_id"])
        self.world.check_can_send(self.bot, chat)
        message = chat.get(self.params["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if message.sender.id != self.bot.id:
            raise bad_request("message can't be edited")
        return message

    def edit_markup(self, message: ChatMessage) -> JsonDict | None:
        """The new inline keyboard of an edit (omitting it removes the current one)."""
        markup: JsonDict | None = self.params.get("reply_markup")
        check_reply_markup(markup, message.chat.type)
        return markup

    @staticmethod
    def inline_markup(message: ChatMessage) -> JsonDict | None:
        """The message's inline keyboard (a reply keyboard is not part of an edit)."""
        return message.reply_markup if message.keyboard_kind == "inline" else None

    @staticmethod
    def apply_markup(message: ChatMessage, markup: JsonDict | None) -> None:
        """Set the edited inline keyboard; a reply keyboard of the message stays."""
        if markup is not None or message.keyboard_kind == "inline":
            message.reply_markup = markup

    @staticmethod
    def require_change(changed: bool) -> None:
        """400 "message is not modified" when an edit would change nothing."""
        if not changed:
            raise bad_request(NOT_MODIFIED)

    def stamp_edit(self, message: ChatMessage) -> JsonDict:
        """Mark the message edited now and return its new JSON."""
        message.edit_date = self.world.now()
        return message.to_json()


Handler = Callable[[MethodCall], Awaitable[Any]]
