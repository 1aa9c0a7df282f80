"""The orders bot as a catalog REGOS integration under serve: DEPLOY.yaml names only the
integration's client credentials; its shops are discovered with ``ConnectedIntegration/Get`` and
each active one gets its bot; a Connect for an id REGOS does not confirm starts nothing. In process
against the REGOS emulator and the Bot API emulator in webhook mode."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import aiohttp
import pytest

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    CatalogApp,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from engine.playground.botapi import BotApiEmulator, Chat, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import listening

ROOT = Path(__file__).resolve().parents[2]
SHOP_A, SHOP_B, SHOP_LATE, FORGED = "a1" * 16, "b2" * 16, "c3" * 16, "f4" * 16
TOKENS = {SHOP_A: "515151:shop-A-token", SHOP_B: "525252:shop-B-token", SHOP_LATE: "535353:late-token"}


async def until(condition: Callable[[], object], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@dataclass
class World:
    telegram: BotApiEmulator
    regos: RegosEmulator
    server: Server


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    telegram = BotApiEmulator(allow_http_webhooks=True)
    for ci, token in TOKENS.items():
        telegram.add_bot(token, f"shop_{ci[:2]}_bot")
    shop = demo_shop()
    # SHOP_LATE connected the integration but is not active yet
    shop.apps["tgflow"] = CatalogApp("s3cret", {SHOP_A: True, SHOP_B: True, SHOP_LATE: False})
    for ci, token in TOKENS.items():
        shop.settings[ci] = {**shop.settings[DEMO_CONNECTED_INTEGRATION_ID], "BOT_TOKEN": token}
    regos = RegosEmulator(shop)
    async with EmulatorServer(telegram) as api, RegosEmulatorServer(regos) as regos_server:
        path = tmp_path / "DEPLOY.yaml"
        path.write_text(f"""\
integrations:
  shops:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings:
      REGOS_CLIENT_ID: tgflow
      REGOS_CLIENT_SECRET: s3cret
      REGOS_CONNECTED_INTEGRATION_IDS: "{SHOP_A}"
      REGOS_AUTH_URL: {regos_server.auth_url}
      REGOS_API_URL: {regos_server.base_url}
""", encoding="utf-8")
        config, diagnostics = load_deploy(path, {})
        assert config is not None, diagnostics
        server = Server(config, {"TELEGRAM_API_URL": api.base_url, "STARTUP_RETRY_SECONDS": "0"}, "")
        yield World(telegram, regos, server)  # each test's listening() closes it


def text_of(world: World, chat: Chat) -> str | None:
    message = world.telegram.last_bot_message(chat)
    return message.text if message is not None else None


def shows_other_than(world: World, chat: Chat, text: str | None) -> bool:
    return text_of(world, chat) != text


async def test_every_active_shop_of_the_integration_is_discovered_and_serves_its_customers(
        world: World) -> None:
    await world.server.start_bots()
    await world.server.start_integrations()
    assert sorted(world.server.bots) == [f"shops-{SHOP_A}", f"shops-{SHOP_B}"]  # not the inactive one
    async with listening(world.server) as base:
        world.server.public_url = base
        await world.server.register_webhooks()
        for ci in (SHOP_A, SHOP_B):
            alice = world.telegram.add_user(f"Alice {ci[:2]}", language_code="en")
            chat = world.telegram.private_chat(TOKENS[ci], alice)
            world.telegram.send_text(TOKENS[ci], chat, alice, "/start")
            await until(partial(shows_other_than, world, chat, None))
            reads = len(world.regos.calls_of("ItemGroup/Get"))
            menu = text_of(world, chat)
            world.telegram.click_text(TOKENS[ci], chat, alice, "🛍 Catalog")
            # the groups are read from REGOS with the integration's token (at most once: cached)
            await until(partial(shows_other_than, world, chat, menu))  # edited in place
            assert "Catalog" in (text_of(world, chat) or "")
            assert len(world.regos.calls_of("ItemGroup/Get")) <= reads + 1
        remembered = await world.server.integrations[0].kv.get("regos:app:shops:shops")
        assert json.loads(remembered or "[]") == sorted([SHOP_A, SHOP_B])
    assert world.regos.calls_of("ItemGroup/Get"), "the catalog was read from REGOS"


async def test_a_connect_starts_a_shop_only_when_regos_confirms_it(world: World) -> None:
    await world.server.start_bots()
    await world.server.start_integrations()
    async with listening(world.server) as base, aiohttp.ClientSession() as http:
        world.server.public_url = base
        await world.server.register_webhooks()

        async def call(action: str, ci: str, **data: str) -> int:
            body = {"action": action, "connected_integration_id": ci,
                    "data": {"date": "2026-12-03T12:00:00Z", **data}}
            async with http.post(f"{base}/regos/shops", json=body,
                                 headers={"connected-integration-id": ci}) as reply:
                return reply.status

        assert await call("Connect", FORGED) == 403  # not a shop of this integration
        assert await call("Connect", SHOP_LATE) == 403  # connected, but not active
        assert await call("Disconnect", FORGED) == 404
        assert await call("UpdateSettings", SHOP_LATE) == 404
        async with http.post(f"{base}/regos/shops", data=b"[" * 10_000) as reply:
            assert reply.status == 400
        assert sorted(world.server.bots) == [f"shops-{SHOP_A}", f"shops-{SHOP_B}"]

        world.regos.shop.apps["tgflow"].connected[SHOP_LATE] = True
        assert await call("Connect", SHOP_LATE) == 200
        await until(lambda: world.telegram.bots[TOKENS[SHOP_LATE]].webhook is not None)
        assert world.server.bots[f"shops-{SHOP_LATE}"].status == "running"

        world.regos.tokens.revoke_all()  # the bots' and the integration's tokens are renewed
        assert await call("Disconnect", SHOP_B) == 200
        await until(lambda: world.telegram.bots[TOKENS[SHOP_B]].webhook is None)
        assert f"shops-{SHOP_B}" not in world.server.bots
        assert await call("UpdateSettings", SHOP_B) == 404  # gone until it connects again

        # the shop moved to a new connected integration with the same bot: the old one stops first
        moved = "d5" * 16
        world.regos.shop.apps["tgflow"].connected[moved] = True
        world.regos.shop.settings[moved] = {**world.regos.shop.settings[SHOP_A]}
        assert await call("Reconnect", moved, previous_integration_id=SHOP_A) == 200
        await until(lambda: f"shops-{moved}" in world.server.bots
                    and f"shops-{SHOP_A}" not in world.server.bots)
        await until(lambda: (world.telegram.bots[TOKENS[SHOP_A]].webhook or {}).get("url")
                    == f"{base}/webhook/shops-{moved}")
        remembered = await world.server.integrations[0].kv.get("regos:app:shops:shops")
        assert json.loads(remembered or "[]") == sorted([SHOP_LATE, moved])


@pytest.mark.parametrize("reconcile", ["0", "0.2"], ids=["signalled", "periodic-only"])
async def test_two_processes_follow_shops_connected_disconnected_and_moved_through_either(
        tmp_path: Path, redis_server: str, reconcile: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """REGOS calls one process; both serve the webhooks (behind a balancer). Each process
    follows the other's Connect, Disconnect and token change: at once through a Redis signal
    (the periodic reconcile off), or within a reconcile period when no signal arrives."""
    if reconcile != "0":  # the signal lost: only the periodic reconcile is left
        async def lost(self: object, topic: str) -> None:
            return None
        monkeypatch.setattr("engine.serve.integrations.IntegrationHost.signal", lost)
    digit = "6" if reconcile == "0" else "7"  # ids and bots of their own in the shared Redis
    name = f"pair{digit}"
    one, two, late = "e" * 31 + digit, "f" * 31 + digit, "a" * 31 + digit
    tokens = {one: f"{digit}16161:pair-one", two: f"{digit}26262:pair-two",
              late: f"{digit}36363:pair-late", "moved": f"{digit}46464:pair-moved"}
    telegram = BotApiEmulator(allow_http_webhooks=True)
    for token in tokens.values():
        telegram.add_bot(token, f"bot_{token[:6]}")
    shop = demo_shop()
    shop.apps[name] = CatalogApp("pair-secret", {one: True, two: True, late: False})
    for ci in (one, two, late):
        shop.settings[ci] = {**shop.settings[DEMO_CONNECTED_INTEGRATION_ID], "BOT_TOKEN": tokens[ci]}
    regos = RegosEmulator(shop, rate_limit=False)  # two processes reconciling every 0.2 s
    async with EmulatorServer(telegram) as api, RegosEmulatorServer(regos) as regos_server:
        path = tmp_path / "DEPLOY.yaml"
        path.write_text(f"""\
redis_url: {redis_server}
integrations:
  {name}:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings:
      REGOS_CLIENT_ID: {name}
      REGOS_CLIENT_SECRET: pair-secret
      REGOS_CONNECTED_INTEGRATION_IDS: "{one}"
      REGOS_AUTH_URL: {regos_server.auth_url}
      REGOS_API_URL: {regos_server.base_url}
      REGOS_RECONCILE_SECONDS: "{reconcile}"
""", encoding="utf-8")
        config, diagnostics = load_deploy(path, {})
        assert config is not None, diagnostics
        environ = {"TELEGRAM_API_URL": api.base_url, "STARTUP_RETRY_SECONDS": "0"}
        first, second = Server(config, environ, ""), Server(config, environ, "")
        for server in (first, second):
            await server.start_bots()
            await server.start_integrations()

        def running(server: Server) -> dict[str, str]:
            return {name: hosted.config.token for name, hosted in server.bots.items()
                    if hosted.status == "running"}

        both = {f"{name}-{one}": tokens[one], f"{name}-{two}": tokens[two]}
        assert running(first) == running(second) == both
        # a call that never returns fails at its own line, not as the whole test's timeout
        async with listening(first) as base, listening(second), \
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:

            async def call(action: str, ci: str) -> int:
                body = {"action": action, "connected_integration_id": ci, "data": {}}
                async with http.post(f"{base}/regos/{name}", json=body,
                                     headers={"connected-integration-id": ci}) as reply:
                    return reply.status

            assert await call("Disconnect", two) == 200  # told to the first process only
            await until(lambda: f"{name}-{two}" not in running(second))
            regos.shop.apps[name].connected[late] = True
            assert await call("Connect", late) == 200
            await until(lambda: running(second).get(f"{name}-{late}") == tokens[late])
            regos.shop.settings[one]["BOT_TOKEN"] = tokens["moved"]
            assert await call("UpdateSettings", one) == 200
            await until(lambda: running(second).get(f"{name}-{one}") == tokens["moved"]
                        and running(first).get(f"{name}-{one}") == tokens["moved"])
            assert running(first) == running(second) == {f"{name}-{one}": tokens["moved"],
                                                         f"{name}-{late}": tokens[late]}
