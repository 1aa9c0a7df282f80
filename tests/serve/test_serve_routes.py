"""``serve`` mounts what each bot's package serves over HTTP (``pkg.add_route``) beside the
webhooks; a path two bots claim, or one of the server's own, keeps that bot from starting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from engine.errors import StartupError
from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import listening

ROUTED = Path(__file__).resolve().parents[1] / "fixtures" / "routed" / "routed.yaml"
FIRST = "616161:FIRST-routes-test-token"
SECOND = "626262:SECOND-routes-test-token"


@pytest.fixture
async def api() -> AsyncIterator[str]:
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(FIRST, "first_bot")
    emulator.add_bot(SECOND, "second_bot")
    async with EmulatorServer(emulator) as server:
        yield server.base_url


def server_of(tmp_path: Path, api: str, bots: str) -> Server:
    path = tmp_path / "DEPLOY.yaml"
    path.write_text("bots:\n" + bots.replace("SCENARIO", str(ROUTED)), encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    return Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"},
                  "http://127.0.0.1:1")


async def test_a_bots_routes_are_served_beside_the_servers_own(tmp_path: Path, api: str) -> None:
    server = server_of(tmp_path, api, f"""\
  first: {{scenario: SCENARIO, token: "{FIRST}", settings: {{GREETING: Hi}}}}
  second: {{scenario: SCENARIO, token: "{SECOND}"}}
""")
    try:
        await server.start_bots()
        assert server.bots["first"].status == "running"
        second = server.bots["second"]  # the same scenario: the same paths
        assert second.status == "failed"
        assert "GET /routed/hello/{name} is already served by bot first" in second.error
        async with listening(server) as base, httpx.AsyncClient(base_url=base) as http:
            reply = await http.get("/routed/hello/Bo")
            assert reply.json() == {"greeting": "Hi, Bo", "bot": "routed"}
            assert (await http.get("/healthz")).status_code == 200  # the server's own first
            assert (await http.get("/nothing/here")).status_code == 404
            await server.remove_bot("first")
            assert (await http.get("/routed/hello/Bo")).status_code == 404  # gone with its bot
    finally:
        await server.close()


async def test_a_package_path_under_the_servers_own_is_refused(tmp_path: Path, api: str) -> None:
    server = server_of(tmp_path, api, f"""\
  first: {{scenario: SCENARIO, token: "{FIRST}", settings: {{ROUTED_EXTRA_PATH: /metrics/bots}}}}
""")
    try:
        with pytest.raises(StartupError, match=r"no bot could start \(first: /metrics/bots is "
                                               r"the server's own \(/metrics cannot be served"):
            await server.start_bots()
        assert server.routes.served() == []
    finally:
        await server.close()
