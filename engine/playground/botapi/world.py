"""The emulator's state: bots, users, chats, messages, files, updates, calls and faults.

:class:`World` holds the state and the operations the Bot API side needs; the user side (sending
text, clicking buttons) lives in :class:`~.emulator.BotApiEmulator`, which extends it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from .errors import EmulatorError, bad_request, forbidden
from .files import FileStore
from .records import (
    ApiCall,
    BotAccount,
    Button,
    CallbackAnswer,
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    Fault,
    JsonDict,
    UserAccount,
    parse_buttons,
)
from .spec import BotApiSchema, load_schema
from .updates import QueuedUpdate, UpdateQueue, Waiters
from .webhooks import WebhookDelivery

_TOKEN_RE = re.compile(r"(\d+):\S+")
BotRef = BotAccount | str
UserRef = UserAccount | int
ChatRef = Chat | int

FIRST_USER_ID = 100_000_001
FIRST_GROUP_ID = 4_000_000_001


class World:
    """State of one emulated Telegram server (no globals: create one per test or session)."""

    def __init__(
        self,
        *,
        schema: BotApiSchema | None = None,
        clock: Callable[[], float] = time.time,
        strict_html_ampersand: bool = True,
        allow_http_webhooks: bool = False,
    ) -> None:
        self.schema = schema if schema is not None else load_schema()
        self.clock = clock
        self.strict_html_ampersand = strict_html_ampersand
        #: Telegram calls only https:// webhooks; tests point bots at http:// on loopback
        self.allow_http_webhooks = allow_http_webhooks
        self.webhooks = WebhookDelivery(self)
        self.bots: dict[str, BotAccount] = {}
        self.users: dict[int, UserAccount] = {}
        self.files = FileStore()
        self.calls: list[ApiCall] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.faults: list[Fault] = []
        self._groups: dict[int, Chat] = {}
        self._private: dict[tuple[int, int], Chat] = {}
        self._updates: dict[int, QueuedUpdate] = {}
        self._bot_updates: dict[str, list[QueuedUpdate]] = {}
        self._confirmations = Waiters()
        self._counters: dict[str, int] = {}

    def next_id(self, name: str, start: int = 1) -> int:
        """Monotonic counters (update ids, user ids, callback ids, ...)."""
        value = self._counters.get(name, start - 1) + 1
        self._counters[name] = value
        return value

    def now(self) -> int:
        """Unix time for ``date`` fields, from the injectable clock."""
        return int(self.clock())

    # ----------------------------------------------------------------- accounts and chats
    def add_bot(self, token: str, username: str, first_name: str | None = None) -> BotAccount:
        """Register a bot; its id is the number before the colon of the token."""
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise EmulatorError(f"invalid bot token {token!r} (expected '<digits>:<secret>')")
        user = UserAccount(int(match.group(1)), first_name or username, None, username, None, True)
        bot = BotAccount(token, user, UpdateQueue(self.clock, self._confirmed))
        self.bots[token] = bot
        return bot

    def add_user(
        self,
        first_name: str = "User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
    ) -> UserAccount:
        """Register a Telegram user."""
        uid = user_id if user_id is not None else self.next_id("user", FIRST_USER_ID)
        user = UserAccount(uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        return user

    def private_chat(self, bot: BotRef, user: UserRef) -> Chat:
        """The private chat of ``bot`` and ``user`` (created, and started, on first use)."""
        account, person = self.bot(bot), self.user(user)
        key = (account.id, person.id)
        chat = self._private.get(key)
        if chat is None:
            chat = Chat(person.id, "private", user=person, bot_id=account.id, started=True)
            chat.members = {person.id: "member", account.id: "member"}
            self._private[key] = chat
        return chat

    def create_group(
        self,
        title: str,
        *,
        members: Iterable[UserRef] = (),
        bots: Iterable[BotRef] = (),
        supergroup: bool = True,
        username: str | None = None,
        bot_status: str = "administrator",
        chat_id: int | None = None,
    ) -> Chat:
        """A group or supergroup with the given users (members) and bots (admins by default)."""
        number = self.next_id("group", FIRST_GROUP_ID)
        default_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat = Chat(
            chat_id if chat_id is not None else default_id,
            "supergroup" if supergroup else "group",
            title=title,
            username=username,
        )
        for index, member in enumerate(members):
            chat.members[self.user(member).id] = "creator" if index == 0 else "member"
        for bot in bots:
            chat.members[self.bot(bot).id] = bot_status
        self._groups[chat.id] = chat
        return chat

    def find_group(self, title: str) -> Chat | None:
        """The group titled ``title`` (case-insensitive), if any."""
        wanted = title.casefold()
        return next((c for c in self._groups.values() if (c.title or "").casefold() == wanted),
                    None)

    def bot(self, ref: BotRef) -> BotAccount:
        if isinstance(ref, BotAccount):
            return ref
        if ref not in self.bots:
            raise EmulatorError(f"unknown bot token {ref!r}")
        return self.bots[ref]

    def user(self, ref: UserRef) -> UserAccount:
        if isinstance(ref, UserAccount):
            return ref
        if ref not in self.users:
            raise EmulatorError(f"unknown user id {ref}")
        return self.users[ref]

    def chat(self, bot: BotRef, ref: ChatRef) -> Chat:
        """A chat as seen by a bot: a group by id, or the private chat with a user id."""
        if isinstance(ref, Chat):
            return ref
        if ref in self._groups:
            return self._groups[ref]
        if ref in self.users:
            return self.private_chat(bot, ref)
        raise EmulatorError(f"unknown chat {ref}")

    def chats(self, bot: BotRef | None = None) -> list[Chat]:
        """Every chat (or those a bot takes part in)."""
        everything = [*self._private.values(), *self._groups.values()]
        if bot is None:
            return everything
        bot_id = self.bot(bot).id
        return [c for c in everything if bot_id in c.members]

    def account_by_id(self, user_id: int) -> UserAccount | None:
        """A user or a bot's user by id."""
        if user_id in self.users:
            return self.users[user_id]
        return next((b.user for b in self.bots.values() if b.id == user_id), None)

    # ------------------------------------------------------------ Bot API side helpers
    def resolve_chat(self, bot: BotAccount, chat_id: int | str) -> Chat:
        """The chat a Bot API call targets: 400 "chat not found" if the bot can't see it."""
        if isinstance(chat_id, str):
            found = next((c for c in self._groups.values() if f"@{c.username}" == chat_id), None)
            if found is None:
                raise bad_request("chat not found")
            return found
        if chat_id in self._groups:
            return self._groups[chat_id]
        chat = self._private.get((bot.id, chat_id))
        if chat is not None:
            return chat
        if chat_id in self.users:
            raise forbidden("bot can't initiate conversation with a user")
        raise bad_request("chat not found")

    def check_can_send(self, bot: BotAccount, chat: Chat) -> None:
        """403 when the user blocked the bot or the bot is not in the group."""
        if chat.type == "private":
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            return
        if chat.members.get(bot.id) not in ("creator", "administrator", "member"):
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    def new_message(self, chat: Chat, sender: UserAccount, **fields: Any) -> ChatMessage:
        """Append a message to a chat with the next message_id and the current date."""
        message = ChatMessage(chat.next_message_id, chat, sender, self.now(), **fields)
        chat.next_message_id += 1
        chat.add(message)
        if sender.is_bot:
            kind = message.keyboard_kind
            if kind == "reply":
                chat.reply_keyboard = message.reply_markup
            elif kind == "remove":
                chat.reply_keyboard = None
        return message

    def queue_update(self, bot: BotAccount, kind: str, payload: JsonDict) -> JsonDict:
        """Create an update (ids are unique across bots, increasing per bot) and queue it."""
        update_id = self.next_id("update")
        update = {"update_id": update_id, kind: payload}
        queued = QueuedUpdate(update_id, kind, update, self.clock())
        self._updates[update_id] = queued
        self._bot_updates.setdefault(bot.token, []).append(queued)
        if not bot.queue.push(queued):
            queued.confirmed_at = self.clock()
        return update

    def record_call(self, call: ApiCall) -> None:
        self.calls.append(call)

    def take_fault(self, method: str, chat_id: Any) -> Fault | None:
        """The first scripted fault matching this call, consumed once."""
        for fault in self.faults:
            if fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    # ------------------------------------------------------------------ faults
    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> Fault:
        """Answer the next ``times`` valid calls of ``method`` (optionally to one chat) with an
        error: e.g. ``fail_next("sendMessage", 429, "Too Many Requests: retry after 3", 3)``."""
        fault = Fault(method, status, description, retry_after, chat_id, times)
        self.faults.append(fault)
        return fault

    def block(self, bot: BotRef, user: UserRef) -> None:
        """The user blocks the bot: sends to the private chat answer 403."""
        self.private_chat(bot, user).blocked = True

    def unblock(self, bot: BotRef, user: UserRef) -> None:
        self.private_chat(bot, user).blocked = False

    # ------------------------------------------------------------------ read side
    def messages(self, chat: Chat, *, include_deleted: bool = False) -> list[ChatMessage]:
        """All messages of a chat in order (deleted ones only on request)."""
        return [m for m in chat.messages if include_deleted or not m.deleted]

    def bot_messages(self, chat: Chat, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Messages sent by bots."""
        return [m for m in self.messages(chat, include_deleted=include_deleted) if m.from_bot]

    def last_bot_message(self, chat: Chat) -> ChatMessage | None:
        found = self.bot_messages(chat)
        return found[-1] if found else None

    def reply_keyboard(self, chat: Chat) -> list[list[Button]] | None:
        """The reply keyboard currently shown in the chat, if any."""
        return parse_buttons(chat.reply_keyboard) if chat.reply_keyboard else None

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return [q.answer for q in self.callback_queries.values() if q.answer is not None]

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def updates(self, bot: BotRef) -> list[QueuedUpdate]:
        """Every update created for a bot (confirmed or not)."""
        return list(self._bot_updates.get(self.bot(bot).token, ()))

    def update(self, update_id: int) -> QueuedUpdate:
        return self._updates[update_id]

    def _confirmed(self, update: QueuedUpdate) -> None:
        self._confirmations.notify_all()

    async def wait_confirmed(
        self,
        update_id: int,
        timeout: float = 5.0,
    ) -> QueuedUpdate:
        """Wait until getUpdates confirmed the update (an offset above its id was requested).

        With aiogram polling and ``handle_as_tasks=False`` this means the bot finished handling
        it. Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        if update_id not in self._updates:
            raise EmulatorError(f"unknown update {update_id}")
        update = self._updates[update_id]
        deadline = _loop_time() + timeout
        while not update.confirmed:
            remaining = deadline - _loop_time()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} was not confirmed within {timeout}s")
            await self._confirmations.wait(remaining)
        return update

    def take_updates(self, bot: BotRef) -> list[JsonDict]:
        """Deliver and confirm every pending update at once (for feeding a Dispatcher by hand)."""
        queue = self.bot(bot).queue
        batch = queue.take()
        if batch:
            queue.confirm_below(batch[-1].update_id + 1)
        return [u.payload for u in batch]

    def interrupt_polls(self) -> None:
        """Let every waiting getUpdates return now."""
        for bot in self.bots.values():
            bot.queue.interrupt()


def _loop_time() -> float:
    return asyncio.get_running_loop().time()
