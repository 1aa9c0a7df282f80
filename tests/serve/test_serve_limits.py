"""serve's bots pace what they send: a 429 from Telegram is waited out and the answer still
reaches the user, counted in /metrics (in process, the Bot API emulator in webhook mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp

from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import listening

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"
TOKEN = "565656:LIMITS-serve-test-token"


async def until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_429_is_waited_out_and_the_user_still_gets_the_answer(tmp_path: Path) -> None:
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(TOKEN, "cafe_bot")
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f'bots:\n  cafe: {{scenario: {DEMO}, token: "{TOKEN}"}}\n', encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    async with EmulatorServer(emulator) as api:
        server = Server(config, {"TELEGRAM_API_URL": api.base_url, "STARTUP_RETRY_SECONDS": "0"}, "")
        await server.start_bots()
        async with listening(server) as base, aiohttp.ClientSession() as http:
            server.public_url = base
            await server.register_webhooks()
            ann = emulator.add_user("Ann")
            chat = emulator.private_chat(TOKEN, ann)
            emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", 1)
            emulator.send_text(TOKEN, chat, ann, "/start")
            await until(lambda: emulator.last_bot_message(chat) is not None)
            sends = [(c.ok, c.error_code) for c in emulator.calls_of("sendMessage")]
            assert sends == [(False, 429), (True, None)]
            refused, retried = emulator.calls_of("sendMessage")
            assert retried.params == refused.params, "the same answer again, not an error notice"
            async with http.get(f"{base}/metrics") as reply:
                exposition = await reply.text()
            assert 'tgflow_bot_api_retry_after_total{bot="cafe",method="sendMessage"} 1.0' in exposition
            assert 'tgflow_bot_api_calls_total{bot="cafe",method="sendMessage"} 2.0' in exposition
