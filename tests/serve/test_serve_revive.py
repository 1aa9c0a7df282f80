"""A bot that could not start is tried again with backoff while the others run: it comes up (and
gets its webhook) as soon as Telegram accepts its token; a bot removed meanwhile is not brought
back (in process, against the Bot API emulator; delays shortened)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiogram.utils.backoff import BackoffConfig

from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import get_readyz, listening

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"
GOOD = "121212:GOOD-revive-test-token"
LATE = "343434:LATE-revive-test-token"
FAST = BackoffConfig(min_delay=0.05, max_delay=0.2, factor=2.0, jitter=0.0)


async def until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def emulator_url() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(GOOD, "good_bot")
    async with EmulatorServer(emulator) as server:
        yield emulator, server.base_url


def server_of(tmp_path: Path, api: str) -> Server:
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f"""\
bots:
  good: {{scenario: {DEMO}, token: "{GOOD}"}}
  late: {{scenario: {DEMO}, token: "{LATE}"}}
""", encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    return Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                  "http://127.0.0.1:1", backoff=FAST)


def tries(emulator: BotApiEmulator, token: str) -> int:
    return len([c for c in emulator.calls_of("getMe") if c.token == token])


async def test_a_refused_bot_is_tried_again_and_comes_up_once_telegram_knows_its_token(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    emulator, api = emulator_url
    server = server_of(tmp_path, api)
    await server.start_bots()
    try:
        assert {n: h.status for n, h in server.bots.items()} == {"good": "running", "late": "failed"}
        async with listening(server) as base:
            server.public_url = base
            await server.register_webhooks()
            await until(lambda: tries(emulator, LATE) >= 3)
            assert server.bots["late"].status == "failed", "still refused: still failed"
            assert "Telegram does not know this bot's token" in server.bots["late"].error
            assert server.bots["good"].status == "running", "the others keep running"

            emulator.add_bot(LATE, "late_bot")  # the token is good now
            await until(lambda: server.bots["late"].status == "running")
            await until(lambda: emulator.bots[LATE].webhook is not None)
            webhook = emulator.bots[LATE].webhook
            assert webhook is not None
            assert webhook["url"] == f"{base}/webhook/late"
            status, ready = await get_readyz(base)
            assert {n: b["status"] for n, b in ready["bots"].items()} == {"good": "running",
                                                                          "late": "running"}
            assert status == 200
            ann = emulator.add_user("Ann")
            chat = emulator.private_chat(LATE, ann)
            emulator.send_text(LATE, chat, ann, "/start")
            await until(lambda: emulator.last_bot_message(chat) is not None)
            assert server.reviver.pending() == [], "no more tries"
    finally:
        await server.close()


async def test_a_failed_bot_removed_meanwhile_is_not_brought_back(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    emulator, api = emulator_url
    server = server_of(tmp_path, api)
    await server.start_bots()
    try:
        await until(lambda: tries(emulator, LATE) >= 2)
        assert await server.remove_bot("late")
        assert server.reviver.pending() == [], "its tries end with it"
        assert "late" not in server.bots
    finally:
        await server.close()
