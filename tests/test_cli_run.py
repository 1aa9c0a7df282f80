"""``python -m engine run``: the real process, long polling the Bot API emulator over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.playground.botapi import BotApiEmulator, EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "654321:RUN-TEST"


async def wait_for(condition: object, timeout: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_run_polls_telegram_api_url_and_answers_start() -> None:
    emulator = BotApiEmulator()
    bot = emulator.add_bot(TOKEN, username="demo_bot")
    user = emulator.add_user("Alice", language_code="en")
    chat = emulator.private_chat(bot, user)
    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": server.base_url}
        env.pop("REDIS_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine", "run", "scenarios/demo.yaml", cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            await wait_for(lambda: emulator.calls_of("getUpdates"))
            emulator.send_text(bot, chat, user, "/start")
            await wait_for(lambda: emulator.last_bot_message(chat) is not None)
            message = emulator.last_bot_message(chat)
            assert message is not None
            assert "Hello, Alice!" in (message.text or "")
        finally:
            proc.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()
    assert [c for c in emulator.calls if not c.ok] == []
    assert "Traceback" not in stderr.decode()


def test_run_without_a_token_says_what_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "scenarios/demo.yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "BOT_TOKEN is required" in proc.stderr
    assert "Traceback" not in proc.stderr
