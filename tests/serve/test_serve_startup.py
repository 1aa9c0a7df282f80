"""``serve``'s start-up: what stops it (one line or the diagnostics), and a bot that cannot start
while the others run (in process, against the Bot API emulator)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from engine.cli import main
from engine.errors import StartupError
from engine.health import Readiness
from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import BotConfig, load_deploy
from engine.serve.server import Server, serve
from engine.serve.webhook import webhook_secret

from .kit import get_readyz, listening

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"
GOOD = "333333:GOOD-startup-test-token"
UNKNOWN = "444444:UNKNOWN-to-telegram-token"
SECOND = "555555:SECOND-startup-test-token"


def deploy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(text.replace("DEMO", str(DEMO)), encoding="utf-8")
    return path


def test_serve_without_public_url_ends_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("CAFE_TOKEN", GOOD)
    path = deploy(tmp_path, "bots:\n  cafe: {scenario: DEMO, token: '${CAFE_TOKEN}'}\n")
    assert main(["serve", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("configuration error: PUBLIC_URL is required for 'serve'")
    assert "Traceback" not in "\n".join(err)


def test_serve_with_a_broken_deploy_file_prints_its_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CAFE_TOKEN", raising=False)
    path = deploy(tmp_path, "bots:\n  cafe: {scenario: DEMO, token: '${CAFE_TOKEN}', tokn: 1}\n")
    assert main(["serve", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2:" in err
    assert "environment variable CAFE_TOKEN is not set" in err
    assert "'tokn' is not a valid key for a bot (did you mean 'token'?)" in err


def test_webhook_secrets_are_random_or_derived_from_webhook_secret() -> None:
    assert webhook_secret("cafe", GOOD, None) != webhook_secret("cafe", GOOD, None)
    derived = webhook_secret("cafe", GOOD, "master-secret")
    assert derived == webhook_secret("cafe", GOOD, "master-secret")
    assert derived != webhook_secret("desk", GOOD, "master-secret")
    assert derived != webhook_secret("cafe", GOOD, "another-secret")


@pytest.fixture
async def emulator_url() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(GOOD, "good_bot")
    async with EmulatorServer(emulator) as server:
        yield emulator, server.base_url


async def test_a_bot_whose_token_telegram_refuses_is_marked_failed_and_the_others_run(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    _, api = emulator_url
    path = deploy(tmp_path, f"""\
bots:
  good: {{scenario: DEMO, token: "{GOOD}"}}
  refused: {{scenario: DEMO, token: "{UNKNOWN}"}}
""")
    config, _ = load_deploy(path, {})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                    "http://127.0.0.1:1")
    await server.start_bots()
    statuses = {name: h.status for name, h in server.bots.items()}
    assert statuses == {"good": "running", "refused": "failed"}
    refused = server.bots["refused"]
    assert "Telegram does not know this bot's token" in refused.error
    assert UNKNOWN not in refused.error
    runner = web.AppRunner(server.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{port}/readyz") as reply:
            assert reply.status == 503
            body = await reply.json()
        assert body["bots"]["good"]["status"] == "running"
        assert body["bots"]["refused"]["status"] == "failed"
        async with aiohttp.ClientSession() as http, \
                http.post(f"http://127.0.0.1:{port}/webhook/refused", json={}) as reply:
            assert reply.status == 404
    finally:
        await runner.cleanup()


async def test_when_no_bot_can_start_serve_says_why(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    _, api = emulator_url
    path = deploy(tmp_path, f'bots:\n  refused: {{scenario: DEMO, token: "{UNKNOWN}"}}\n')
    config, _ = load_deploy(path, {})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                    "http://127.0.0.1:1")
    with pytest.raises(Exception, match=r"no bot could start \(refused: Telegram does not know"):
        await server.start_bots()


async def test_a_probe_that_fails_makes_its_bot_not_ready_and_says_why(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    _, api = emulator_url
    path = deploy(tmp_path, f'bots:\n  good: {{scenario: DEMO, token: "{GOOD}"}}\n')
    config, _ = load_deploy(path, {})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                    "http://127.0.0.1:1")
    await server.start_bots()
    ((_, app, _),) = server.running()

    async def database_down() -> None:
        raise OSError("connection refused by postgresql://desk:hunter22@db:5432/desk")

    readiness = app.runtime.services.get(Readiness)
    async with listening(server) as base:
        readiness.add("database", database_down)
        status, body = await get_readyz(base)
        assert status == 503
        assert body["ready"] is False
        assert body["bots"]["good"] == {
            "status": "running",
            "database": "unreachable: connection refused by postgresql://desk:***@db:5432/desk"}
        del readiness.probes["database"]
        status, body = await get_readyz(base)
        assert (status, body["bots"]["good"]) == (200, {"status": "running"})


async def test_with_redis_a_retried_update_is_handled_once_and_state_is_keyed_by_bot(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str], redis_server: str,
) -> None:
    emulator, api = emulator_url
    alice = emulator.add_user("Alice", language_code="en")
    chat = emulator.private_chat(GOOD, alice)
    path = deploy(tmp_path, f'redis_url: ${{REDIS}}\nbots:\n  good: {{scenario: DEMO, token: "{GOOD}"}}\n')
    config, _ = load_deploy(path, {"REDIS": redis_server})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                    "http://127.0.0.1:1")
    await server.start_bots()
    ((_, app, webhook),) = server.running()
    redis = app.storage.redis
    assert redis is not None
    update = emulator.send_text(GOOD, chat, alice, "/start")
    headers = {"X-Telegram-Bot-Api-Secret-Token": str(webhook.secret_token)}
    async with listening(server) as base, aiohttp.ClientSession() as http:
        for _ in range(2):
            async with http.post(f"{base}/webhook/good", json=update, headers=headers) as reply:
                assert reply.status == 200
        await webhook.drain(10)
        _, ready = await get_readyz(base)
        assert ready["bots"]["good"] == {"status": "running", "redis": "ok"}
        assert len(emulator.bot_messages(chat, include_deleted=True)) == 1
        assert await redis.ttl(f"engine:upd:{app.bot.id}:{update['update_id']}") > 0
        assert await redis.keys(f"fsm:{app.bot.id}:{alice.id}:*")


async def test_a_bot_added_while_serving_answers_and_a_removed_one_loses_its_webhook(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    emulator, api = emulator_url
    emulator.add_bot(SECOND, "second_bot")
    alice = emulator.add_user("Alice", language_code="en")
    chat = emulator.private_chat(SECOND, alice)
    path = deploy(tmp_path, f'bots:\n  good: {{scenario: DEMO, token: "{GOOD}"}}\n')
    config, _ = load_deploy(path, {})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"}, "")
    await server.start_bots()
    async with listening(server) as base, aiohttp.ClientSession() as http:
        server.public_url = base
        await server.register_webhooks()
        second = await server.add_bot(BotConfig("second", DEMO, SECOND, {}))
        assert second.status == "running"
        hook = emulator.bots[SECOND].webhook
        assert hook is not None
        assert hook["url"] == f"{base}/webhook/second"
        emulator.send_text(SECOND, chat, alice, "/start")
        for _ in range(200):
            if emulator.last_bot_message(chat) is not None:
                break
            await asyncio.sleep(0.05)
        message = emulator.last_bot_message(chat)
        assert message is not None
        assert "Hello, Alice!" in (message.text or "")

        assert await server.remove_bot("second") is True
        assert emulator.bots[SECOND].webhook is None
        assert emulator.bots[GOOD].webhook is not None
        async with http.post(f"{base}/webhook/second", json={}) as reply:
            assert reply.status == 404
        _, ready = await get_readyz(base)
        assert list(ready["bots"]) == ["good"]
        assert await server.remove_bot("second") is False


async def test_a_graceful_stop_lets_the_update_being_handled_finish_first(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    from tests.fixtures.hooked_actions import Remote

    emulator, api = emulator_url
    alice = emulator.add_user("Alice", language_code="en")
    chat = emulator.private_chat(GOOD, alice)
    hooked = ROOT / "tests" / "fixtures" / "hooked" / "hooked.yaml"
    path = deploy(tmp_path, f'bots:\n  good: {{scenario: {hooked}, token: "{GOOD}", '
                            'settings: {GREETING: Hi}}\n')
    config, _ = load_deploy(path, {})
    assert config is not None
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"}, "")
    await server.start_bots()
    ((_, app, webhook),) = server.running()
    remote = app.runtime.services.get(Remote)
    update = emulator.send_text(GOOD, chat, alice, "/slow")
    runner = web.AppRunner(server.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    headers = {"X-Telegram-Bot-Api-Secret-Token": str(webhook.secret_token)}
    async with aiohttp.ClientSession() as http, \
            http.post(f"http://127.0.0.1:{port}/webhook/good", json=update, headers=headers) as reply:
        assert reply.status == 200  # answered at once, while the update is still being handled
    await asyncio.wait_for(remote.started.wait(), 10)
    stopping = asyncio.create_task(runner.cleanup())
    await asyncio.sleep(0.3)
    assert not stopping.done()
    assert "closed" not in remote.events
    remote.gate.set()
    await asyncio.wait_for(stopping, 10)
    assert remote.events[-3:] == ["slow started", "slow finished", "closed"]


async def test_a_port_in_use_ends_the_start_with_one_line_and_closes_the_bots(
    tmp_path: Path, emulator_url: tuple[BotApiEmulator, str],
) -> None:
    emulator, api = emulator_url
    path = deploy(tmp_path, f'bots:\n  good: {{scenario: DEMO, token: "{GOOD}"}}\n')
    config, _ = load_deploy(path, {})
    assert config is not None
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartupError, match=f"cannot listen on 127.0.0.1:{port}") as caught:
            await serve(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0",
                                 "PUBLIC_URL": "https://bots.example.org"},
                        host="127.0.0.1", port=port)
    assert caught.value.hint == "choose another --port"
    assert emulator.bots[GOOD].webhook is None  # nothing registered
