"""serve's metrics: Bot API calls, errors and 429s counted per bot and method, in a registry of
the server's own (two servers in one process do not mix their counts)."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter

from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.runtime.app import make_bot
from engine.serve.metrics import ApiMetrics, Metrics

TOKEN = "888888:METRICS-test-token"


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def test_bot_api_calls_errors_and_429s_are_counted_by_bot_and_method() -> None:
    emulator = BotApiEmulator()
    emulator.add_bot(TOKEN, "metrics_bot")
    alice = emulator.add_user("Alice")
    chat = emulator.private_chat(TOKEN, alice)
    metrics, other = Metrics(), Metrics()
    async with EmulatorServer(emulator) as server:
        bot = make_bot(TOKEN, server.base_url)
        bot.session.middleware(ApiMetrics(metrics, "cafe"))
        try:
            await bot.send_message(chat.id, "hello")
            emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", 3)
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(chat.id, "again")
            with pytest.raises(TelegramBadRequest):
                await bot.send_message(chat.id, "<b>broken")
        finally:
            await bot.session.close()
    assert value(metrics, "tgflow_bot_api_calls_total", bot="cafe", method="sendMessage") == 3
    assert value(metrics, "tgflow_bot_api_retry_after_total", bot="cafe", method="sendMessage") == 1
    assert value(metrics, "tgflow_bot_api_errors_total", bot="cafe", method="sendMessage",
                 error="retry_after") == 1
    assert value(metrics, "tgflow_bot_api_errors_total", bot="cafe", method="sendMessage",
                 error="TelegramBadRequest") == 1
    assert value(other, "tgflow_bot_api_calls_total", bot="cafe", method="sendMessage") == 0
