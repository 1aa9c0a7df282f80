"""The browse flow both bots are measured on, played by simulated customers over the emulator.

A customer: /start -> 🛍 Каталог -> Все товары -> › -> the first item in stock -> ➕ В корзину
-> 🛒 Корзина -> 🏠 Меню (8 updates). After each update the customer waits until the screen
it expects is visible and, for a button press, the callback query has been answered: the
latency of an update is from queueing it to that moment. Nothing here knows which bot it talks
to; both bots show the same labels.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.playground.botapi import ApiCall, BotApiEmulator, Chat, ChatMessage

Feed = Callable[[dict[str, Any]], Awaitable[None]]
Check = Callable[[ChatMessage], bool]
STEP_TIMEOUT = 30.0


def has_button(label: str) -> Check:
    return lambda m: any(b.text == label for row in m.buttons for b in row)


def has_button_prefix(prefix: str) -> Check:
    return lambda m: any(b.text.startswith(prefix) for row in m.buttons for b in row)


def has_text(fragment: str) -> Check:
    return lambda m: fragment in (m.content or "")


def both(*checks: Check) -> Check:
    return lambda m: all(c(m) for c in checks)


def first_item(message: ChatMessage) -> str:
    return next(b.text for row in message.buttons for b in row
                if " · " in b.text and "нет в наличии" not in b.text)


#: (what to press, or None for /start; what the screen shows afterwards)
STEPS: list[tuple[str | Callable[[ChatMessage], str] | None, Check]] = [
    (None, both(has_text("Здравствуйте"), has_button("🛍 Каталог"))),
    ("🛍 Каталог", has_button("Все товары")),
    ("Все товары", both(has_text("Найдено"), has_button("›"))),
    ("›", has_button_prefix("2 / ")),
    (first_item, has_button("➕ В корзину")),
    ("➕ В корзину", has_text("В корзине: 1")),
    ("🛒 Корзина", has_button("🧹 Очистить корзину")),
    ("🏠 Меню", has_text("В корзине 1")),
]
UPDATES_PER_CUSTOMER = len(STEPS)


class BenchEmulator(BotApiEmulator):
    """The Bot API emulator that wakes the customer of a chat on each call about it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events: dict[int, asyncio.Event] = {}
        self.answered: set[str] = set()

    def record_call(self, call: ApiCall) -> None:
        super().record_call(call)
        chat_id: Any = call.params.get("chat_id")
        if call.method == "answerCallbackQuery":
            query_id = str(call.params.get("callback_query_id"))
            self.answered.add(query_id)
            record = self.callback_queries.get(query_id)
            chat_id = record.message.chat.id if record else None
        try:
            event = self.events.get(int(chat_id))
        except (TypeError, ValueError):
            return
        if event is not None:
            event.set()

    def api_calls(self) -> int:
        """Calls made so far, long polls left out."""
        return sum(1 for c in self.calls if c.method != "getUpdates")


@dataclass
class Customer:
    emu: BenchEmulator
    token: str
    chat: Chat
    user_id: int
    feed: Feed | None = None
    latencies: list[float] = field(default_factory=list)

    @classmethod
    def new(cls, emu: BenchEmulator, token: str, name: str, feed: Feed | None = None) -> Customer:
        account = emu.add_user(name, language_code="ru")
        chat = emu.private_chat(token, account)
        emu.events[chat.id] = asyncio.Event()
        return cls(emu, token, chat, account.id, feed)

    async def browse(self) -> None:
        for press, expect in STEPS:
            await self.step(press, expect)

    async def step(self, press: str | Callable[[ChatMessage], str] | None, expect: Check) -> None:
        emu, event = self.emu, self.emu.events[self.chat.id]
        event.clear()
        started = time.perf_counter()
        query_id = None
        if press is None:
            update = emu.send_text(self.token, self.chat, self.user_id, "/start")
        else:
            label = press if isinstance(press, str) else press(self._last())
            update = emu.click_text(self.token, self.chat, self.user_id, label)
            query_id = str(update["callback_query"]["id"])
        if self.feed is not None:
            emu.take_updates(self.token)
            await self.feed(update)
        while not (self._shows(expect) and (query_id is None or query_id in emu.answered)):
            await asyncio.wait_for(event.wait(), STEP_TIMEOUT)
            event.clear()
        self.latencies.append(time.perf_counter() - started)

    def _shows(self, expect: Check) -> bool:
        message = self.emu.last_bot_message(self.chat)
        return message is not None and expect(message)

    def _last(self) -> ChatMessage:
        message = self.emu.last_bot_message(self.chat)
        if message is None:
            raise AssertionError(f"the bot has not answered in chat {self.chat.id}")
        return message
