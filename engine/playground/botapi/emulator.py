"""The user side of the emulator: what a person does in a chat, turned into queued updates.

Every operation stores the message (or callback query), queues the update for the bot's
getUpdates and returns the update as the Bot API would serialise it.
"""

from __future__ import annotations

from typing import Any

from .errors import EmulatorError
from .html import utf16_len
from .records import BotAccount, CallbackQueryRecord, Chat, ChatMessage, JsonDict, UserAccount
from .world import BotRef, ChatRef, UserRef, World


class BotApiEmulator(World):
    """A local Telegram: the Bot API side (see :mod:`.methods`) plus the users' side."""

    def _prepare(self, bot: BotRef, chat: ChatRef, user: UserRef) -> tuple[Chat, UserAccount]:
        account, person = self.bot(bot), self.user(user)
        target = self.chat(account, chat)
        if target.type == "private":
            if target.user is None or target.user.id != person.id:
                raise EmulatorError(f"user {person.id} is not the user of private chat {target.id}")
            if target.bot_id != account.id:
                raise EmulatorError(f"chat {target.id} is a private chat of another bot")
            target.started = True
        elif target.members.get(person.id) not in ("creator", "administrator", "member"):
            raise EmulatorError(f"user {person.id} is not a member of chat {target.id}")
        return target, person

    def _reply_target(self, chat: Chat, reply_to: int | None) -> ChatMessage | None:
        if reply_to is None:
            return None
        message = chat.get(reply_to)
        if message is None:
            raise EmulatorError(f"chat {chat.id} has no message {reply_to} to reply to")
        return message

    def _post(
        self, bot: BotRef, chat: ChatRef, user: UserRef, reply_to: int | None, **fields: Any
    ) -> JsonDict:
        target, person = self._prepare(bot, chat, user)
        reply = self._reply_target(target, reply_to)
        message = self.new_message(target, person, reply_to=reply, **fields)
        return self.queue_update(self.bot(bot), "message", message.to_json())

    def send_text(
        self, bot: BotRef, chat: ChatRef, user: UserRef, text: str, reply_to: int | None = None
    ) -> JsonDict:
        """The user sends text; a leading ``/command`` gets a ``bot_command`` entity."""
        if not text:
            raise EmulatorError("a message text can't be empty")
        entities: list[JsonDict] = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        return self._post(bot, chat, user, reply_to, text=text, entities=entities)

    def send_command(
        self, bot: BotRef, chat: ChatRef, user: UserRef, command: str, args: str = ""
    ) -> JsonDict:
        """``send_command(bot, chat, user, "start", "ref42")`` sends ``/start ref42``."""
        text = "/" + command.removeprefix("/") + (f" {args}" if args else "")
        return self.send_text(bot, chat, user, text)

    def click(
        self, bot: BotRef, chat: ChatRef, user: UserRef, message_id: int, callback_data: str
    ) -> JsonDict:
        """The user presses an inline button; fails unless that message has such a button."""
        account = self.bot(bot)
        target, person = self._prepare(account, chat, user)
        message = target.get(message_id)
        if message is None:
            raise EmulatorError(f"chat {target.id} has no message {message_id}")
        if message.sender.id != account.id:
            raise EmulatorError(f"message {message_id} was not sent by bot {account.id}")
        datas = [b.callback_data for row in message.inline_buttons for b in row]
        if callback_data not in datas:
            raise EmulatorError(
                f"message {message_id} has no button with callback_data {callback_data!r} "
                f"(it has {[d for d in datas if d is not None]})"
            )
        return self._callback_query(account, target, person, message, callback_data)

    def forge_callback(
        self, bot: BotRef, chat: ChatRef, user: UserRef, message_id: int, callback_data: str
    ) -> JsonDict:
        """A callback query with arbitrary ``callback_data`` on a bot message, whatever its
        buttons say: what a modified client can send (tests of forged data)."""
        account = self.bot(bot)
        target, person = self._prepare(account, chat, user)
        message = target.get(message_id)
        if message is None or message.sender.id != account.id:
            raise EmulatorError(f"chat {target.id} has no message {message_id} of bot {account.id}")
        return self._callback_query(account, target, person, message, callback_data)

    def _callback_query(self, account: BotAccount, target: Chat, person: UserAccount,
                        message: ChatMessage, callback_data: str) -> JsonDict:
        query_id = str(self.next_id("callback_query", 7_000_000_001))
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, account.token, person, message, callback_data
        )
        payload: JsonDict = {
            "id": query_id,
            "from": person.to_json(),
            "message": message.to_json(),
            "chat_instance": str(abs(target.id) * 7 + account.id),
            "data": callback_data,
        }
        return self.queue_update(account, "callback_query", payload)

    def click_text(self, bot: BotRef, chat: ChatRef, user: UserRef, text: str) -> JsonDict:
        """Press the inline button labelled ``text`` on the bot's latest message that has it."""
        target, _ = self._prepare(bot, chat, user)
        for message in reversed(self.bot_messages(target)):
            for row in message.inline_buttons:
                for button in row:
                    if button.text == text and button.callback_data is not None:
                        return self.click(
                            bot, target, user, message.message_id, button.callback_data
                        )
        raise EmulatorError(f"no inline button {text!r} with callback_data in chat {target.id}")

    def press_reply_button(
        self, bot: BotRef, chat: ChatRef, user: UserRef, text: str, *, phone_number: str = ""
    ) -> JsonDict:
        """Press a button of the chat's current reply keyboard (text, or a contact request)."""
        target, person = self._prepare(bot, chat, user)
        keyboard = self.reply_keyboard(target) or []
        button = next((b for row in keyboard for b in row if b.text == text), None)
        if button is None:
            raise EmulatorError(f"the reply keyboard of chat {target.id} has no button {text!r}")
        if button.request_contact:
            if not phone_number:
                raise EmulatorError("pressing a request_contact button needs phone_number")
            return self.share_contact(bot, target, person, phone_number)
        if button.kind != "text":
            raise EmulatorError(f"button {text!r} needs {button.kind}, which is not emulated")
        return self.send_text(bot, target, person, text)

    def share_contact(
        self,
        bot: BotRef,
        chat: ChatRef,
        user: UserRef,
        phone_number: str,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
    ) -> JsonDict:
        """The user shares a contact: their own by default, or a foreign one (forwarded)."""
        person = self.user(user)
        contact: JsonDict = {
            "phone_number": phone_number,
            "first_name": first_name if first_name is not None else person.first_name,
            "user_id": contact_user_id if contact_user_id is not None else person.id,
        }
        last = last_name if last_name is not None or first_name is not None else person.last_name
        if last is not None:
            contact["last_name"] = last
        return self._post(bot, chat, user, None, contact=contact)

    def send_location(
        self, bot: BotRef, chat: ChatRef, user: UserRef, latitude: float, longitude: float
    ) -> JsonDict:
        """The user sends a location."""
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._post(bot, chat, user, None, location=location)

    def send_document(
        self,
        bot: BotRef,
        chat: ChatRef,
        user: UserRef,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> JsonDict:
        """The user sends a file as a document."""
        stored = self.files.add("document", data, file_name=file_name, mime_type=mime_type)
        return self._post(bot, chat, user, reply_to, document=stored, caption=caption or None)

    def send_photo(
        self,
        bot: BotRef,
        chat: ChatRef,
        user: UserRef,
        data: bytes,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> JsonDict:
        """The user sends a picture (stored as a photo with a single size)."""
        stored = self.files.add("photo", data)
        return self._post(bot, chat, user, reply_to, photo=stored, caption=caption or None)

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file (for asserting on what the bot sent)."""
        stored = self.files.get(file_id)
        if stored is None or stored.data is None:
            raise EmulatorError(f"no stored bytes for file {file_id!r}")
        return stored.data
