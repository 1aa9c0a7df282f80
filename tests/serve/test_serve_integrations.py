"""Integrations: bots an external system connects and disconnects while ``serve`` runs
(a toy "directory" integration, tests/fixtures/directory_integration), in process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from engine.errors import ConfigError
from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import get_readyz, listening

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"
KNOWN = "666666:KNOWN-integration-test-token"
LATER = "777777:LATER-integration-test-token"


async def until(condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def emulator_url() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(KNOWN, "known_bot")
    emulator.add_bot(LATER, "later_bot")
    async with EmulatorServer(emulator) as server:
        yield emulator, server.base_url


def deployment(tmp_path: Path, package: str) -> Server:
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f"""\
integrations:
  dir:
    package: {package}
    scenario: {DEMO}
    settings: {{DIRECTORY_KNOWN: "known={KNOWN}"}}
""", encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    return Server(config, {"STARTUP_RETRY_SECONDS": "0"}, "")


async def test_an_integration_connects_and_disconnects_bots_while_serving(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    emulator, api = emulator_url
    server = deployment(tmp_path, "tests.fixtures.directory_integration")
    server.environ = {**server.environ, "TELEGRAM_API_URL": api}
    await server.start_bots()
    await server.start_integrations()
    alice = emulator.add_user("Alice", language_code="en")
    chat = emulator.private_chat(LATER, alice)
    async with listening(server) as base, aiohttp.ClientSession() as http:
        server.public_url = base
        await server.register_webhooks()
        known = emulator.bots[KNOWN].webhook
        assert known is not None
        assert known["url"] == f"{base}/webhook/dir-known"

        connect = {"action": "Connect", "id": "later", "token": LATER}
        async with http.post(f"{base}/directory", json=connect) as reply:
            assert reply.status == 200
        await until(lambda: emulator.bots[LATER].webhook is not None)
        emulator.send_text(LATER, chat, alice, "/start")
        await until(lambda: emulator.last_bot_message(chat) is not None)
        _, ready = await get_readyz(base)
        assert {name: bot["status"] for name, bot in ready["bots"].items()} == \
            {"dir-known": "running", "dir-later": "running"}

        async with http.post(f"{base}/directory", json={"action": "Disconnect", "id": "later"}) \
                as reply:
            assert reply.status == 200
        await until(lambda: emulator.bots[LATER].webhook is None)
        _, ready = await get_readyz(base)
        assert list(ready["bots"]) == ["dir-known"]
        async with http.post(f"{base}/directory", json={"action": "Reboot"}) as reply:
            assert reply.status == 400


async def test_an_integration_package_without_the_hook_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    server = deployment(tmp_path, "tests.fixtures")
    with pytest.raises(ConfigError, match=r"has no setup_integration\(host\)"):
        await server.start_integrations()
    await server.close()
