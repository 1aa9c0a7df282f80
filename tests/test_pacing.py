"""Outgoing limits (engine/runtime/pacing.py): Telegram's 429 waited out and the call retried,
messages paced per chat, per group and per bot, interactive answers before notifications.

Waits are taken on a manual clock (sleeping moves it), so the paced times are exact and nothing
really sleeps; the two tests of order use the real clock with fast limits and look only at the
order in which calls reached the Bot API emulator (whatever the machine's speed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from engine.errors import ConfigError
from engine.playground.botapi import BotApiEmulator, EmulatorServer, EmulatorSession
from engine.runtime.app import make_bot
from engine.runtime.pacing import Limits, Pacing, notifications
from engine.serve.metrics import ApiMetrics, Metrics

TOKEN = "777777:PACING-test-token"


@dataclass
class ManualTime:
    """A clock that only sleeping moves; what was slept is kept."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def emulator() -> BotApiEmulator:
    world = BotApiEmulator()
    world.add_bot(TOKEN, "pacing_bot")
    return world


def chats(emulator: BotApiEmulator, count: int) -> list[int]:
    return [emulator.private_chat(TOKEN, emulator.add_user(f"User{i}")).id for i in range(count)]


def paced_bot(emulator: BotApiEmulator, pacing: Pacing) -> Bot:
    bot = make_bot(TOKEN, session=EmulatorSession(emulator))
    bot.session.middleware(pacing)
    return bot


def sent_to(emulator: BotApiEmulator) -> list[tuple[int, str]]:
    return [(c.params["chat_id"], c.params["text"]) for c in emulator.calls_of("sendMessage") if c.ok]


async def send_times(bot: Bot, time: ManualTime, chat_ids: list[int]) -> list[float]:
    times = []
    for number, chat_id in enumerate(chat_ids):
        await bot.send_message(chat_id, f"message {number}")
        times.append(round(time.now - 1000.0, 6))
    return times


@pytest.fixture
async def served(emulator: BotApiEmulator) -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(emulator) as server:
        yield server


async def test_a_429_is_waited_out_and_the_call_retried_over_aiograms_real_session(
        emulator: BotApiEmulator, served: EmulatorServer) -> None:
    [chat] = chats(emulator, 1)
    time, metrics = ManualTime(), Metrics()
    bot = make_bot(TOKEN, served.base_url)  # aiogram's AiohttpSession over loopback
    bot.session.middleware(Pacing(clock=time.clock, sleep=time.sleep))
    bot.session.middleware(ApiMetrics(metrics, "cafe"))
    try:
        emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", 3)
        message = await bot.send_message(chat, "hello")
    finally:
        await bot.session.close()
    assert message.text == "hello"
    assert time.slept == [3]
    assert [(c.ok, c.error_code) for c in emulator.calls_of("sendMessage")] == [(False, 429), (True, None)]
    assert sent_to(emulator) == [(chat, "hello")], "delivered once"
    labels = {"bot": "cafe", "method": "sendMessage"}
    assert metrics.registry.get_sample_value("tgflow_bot_api_retry_after_total", labels) == 1
    assert metrics.registry.get_sample_value("tgflow_bot_api_calls_total", labels) == 2


async def test_429s_beyond_the_retry_bound_reach_the_caller(emulator: BotApiEmulator) -> None:
    [chat] = chats(emulator, 1)
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(Limits(retries=2), clock=time.clock, sleep=time.sleep))
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", 2, times=5)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(chat, "hello")
    assert time.slept == [2, 2]
    assert len(emulator.calls_of("sendMessage")) == 3, "the first try and two retries"
    assert sent_to(emulator) == []


async def test_a_retry_after_over_the_longest_wait_is_not_waited(emulator: BotApiEmulator) -> None:
    [chat] = chats(emulator, 1)
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(Limits(max_retry_after=30), clock=time.clock, sleep=time.sleep))
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 600", 600)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(chat, "hello")
    assert time.slept == []


async def test_a_private_chat_gets_a_burst_then_one_message_a_second(emulator: BotApiEmulator) -> None:
    [chat] = chats(emulator, 1)
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(clock=time.clock, sleep=time.sleep))
    assert await send_times(bot, time, [chat] * 6) == [0, 0, 0, 1, 2, 3]
    assert [text for _, text in sent_to(emulator)] == [f"message {n}" for n in range(6)]


async def test_pacing_off_sends_at_once_but_still_waits_out_429s(emulator: BotApiEmulator) -> None:
    """TELEGRAM_PACING=off (benchmarks against the emulator): no per-chat or per-bot waits."""
    [chat] = chats(emulator, 1)
    time = ManualTime()
    pacing = Pacing.from_environ({"TELEGRAM_PACING": "off"})
    pacing.clock, pacing.sleep = time.clock, time.sleep
    bot = paced_bot(emulator, pacing)
    assert await send_times(bot, time, [chat] * 6) == [0] * 6
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", 2)
    await bot.send_message(chat, "after a 429")
    assert time.slept == [2]
    assert Pacing.from_environ({}).paced
    assert Pacing.from_environ({"TELEGRAM_PACING": " ON "}).paced
    with pytest.raises(ConfigError, match="TELEGRAM_PACING must be on or off"):
        Pacing.from_environ({"TELEGRAM_PACING": "fast"})


async def test_a_group_gets_twenty_messages_a_minute(emulator: BotApiEmulator) -> None:
    group = emulator.create_group("Managers", bots=[TOKEN]).id
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(clock=time.clock, sleep=time.sleep))
    times = await send_times(bot, time, [group] * 22)
    assert times[:20] == [0] * 20
    assert times[20:] == [3, 6], "then one every 3 s: 20 a minute"


async def test_the_bot_sends_about_thirty_messages_a_second_in_all(emulator: BotApiEmulator) -> None:
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(clock=time.clock, sleep=time.sleep))
    times = await send_times(bot, time, chats(emulator, 32))
    assert times[:30] == [0] * 30
    assert times[30:] == pytest.approx([1 / 30, 2 / 30], abs=1e-5)


async def test_button_answers_and_deletions_are_not_paced(emulator: BotApiEmulator) -> None:
    [chat] = chats(emulator, 1)
    time = ManualTime()
    bot = paced_bot(emulator, Pacing(clock=time.clock, sleep=time.sleep))
    sent = [await bot.send_message(chat, f"m{n}") for n in range(3)]
    for message in sent:
        await bot.delete_message(chat, message.message_id)
    assert time.slept == []


FAST = Limits(private_rate=50, private_burst=1, global_rate=50, global_burst=1)


class Network(BaseRequestMiddleware):
    """Lets other tasks run as a call sets off, as a network would (the in-process emulator
    answers without ever yielding)."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        await asyncio.sleep(0)
        return await make_request(bot, method)


def networked_bot(emulator: BotApiEmulator, pacing: Pacing) -> Bot:
    bot = paced_bot(emulator, pacing)
    bot.session.middleware(Network())
    return bot


async def test_an_interactive_answer_goes_before_the_notifications_queued_ahead_of_it(
        emulator: BotApiEmulator) -> None:
    *notified, asking = chats(emulator, 5)
    bot = networked_bot(emulator, Pacing(FAST))
    with notifications():  # the tasks made here send notifications (e.g. SLA reminders)
        reminders = [asyncio.create_task(bot.send_message(c, "reminder")) for c in notified]
    answer = asyncio.create_task(bot.send_message(asking, "answer"))
    await asyncio.gather(*reminders, answer)
    order = [text for _, text in sent_to(emulator)]
    assert order == ["reminder", "answer", "reminder", "reminder", "reminder"]


async def test_one_chats_backlog_does_not_hold_up_another_chat(emulator: BotApiEmulator) -> None:
    busy, other = chats(emulator, 2)
    bot = networked_bot(emulator, Pacing(Limits(private_rate=50, private_burst=1)))
    backlog = [asyncio.create_task(bot.send_message(busy, f"busy {n}")) for n in range(4)]
    reply = asyncio.create_task(bot.send_message(other, "other"))
    await asyncio.gather(*backlog, reply)
    assert sent_to(emulator) == [(busy, "busy 0"), (other, "other"), (busy, "busy 1"), (busy, "busy 2"),
                                 (busy, "busy 3")]
