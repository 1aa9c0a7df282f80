"""The orders bot as a REGOS integration under serve: the connected shop's bot starts with the
token in its REGOS settings and follows REGOS's calls (Connect, Disconnect, UpdateSettings), in
process against the REGOS emulator's demo shop and the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from actions.regos.emulator.shop import ShopOrder
from engine.playground.botapi import BotApiEmulator, EmulatorServer
from engine.serve.config import load_deploy
from engine.serve.server import Server

from .kit import get_readyz, listening

ROOT = Path(__file__).resolve().parents[2]
CI = DEMO_CONNECTED_INTEGRATION_ID
FIRST = "121212:FIRST-regos-shop-token"
SECOND = "343434:SECOND-regos-shop-token"


async def until(condition: Callable[[], object], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def worlds() -> AsyncIterator[tuple[BotApiEmulator, str, RegosEmulator, str]]:
    telegram = BotApiEmulator(allow_http_webhooks=True)
    telegram.add_bot(FIRST, "first_shop_bot")
    telegram.add_bot(SECOND, "second_shop_bot")
    regos = RegosEmulator(demo_shop())
    regos.shop.settings[CI]["BOT_TOKEN"] = FIRST
    async with EmulatorServer(telegram) as api, RegosEmulatorServer(regos) as regos_server:
        yield telegram, api.base_url, regos, regos_server.base_url


async def test_a_connected_shop_gets_its_bot_and_follows_regos_calls(
    tmp_path: Path, worlds: tuple[BotApiEmulator, str, RegosEmulator, str],
) -> None:
    telegram, api, regos, regos_url = worlds
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f"""\
integrations:
  shop:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings:
      REGOS_INTEGRATION_KEY: {DEMO_INTEGRATION_KEY}
      REGOS_CONNECTED_INTEGRATION_ID: {CI}
      REGOS_API_URL: {regos_url}
""", encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"}, "")
    await server.start_bots()
    await server.start_integrations()
    assert server.bots[f"shop-{CI}"].status == "running"  # connected before: discovered
    alice = telegram.add_user("Alice", language_code="en")
    chat = telegram.private_chat(FIRST, alice)
    async with listening(server) as base, aiohttp.ClientSession() as http:
        server.public_url = base
        await server.register_webhooks()
        hook = telegram.bots[FIRST].webhook
        assert hook is not None
        assert hook["url"] == f"{base}/webhook/shop-{CI}"
        telegram.send_text(FIRST, chat, alice, "/start")
        await until(lambda: telegram.last_bot_message(chat) is not None)

        async def call(action: str, ci: str = CI, path_ci: str = CI) -> int:
            body = {"action": action, "connected_integration_id": ci,
                    "data": {"date": "2025-07-18T12:34:56Z"}}
            async with http.post(f"{base}/regos/{path_ci}", json=body,
                                 headers={"connected-integration-id": ci}) as reply:
                return reply.status

        assert await call("Disconnect", ci="someone-else") == 403
        assert await call("Disconnect", path_ci="someone-else") == 404
        assert await call("Explode") == 400
        for junk in (b"not json", b"[1]", b"[" * 100_000):
            async with http.post(f"{base}/regos/{CI}", data=junk) as reply:
                assert reply.status == 400
        assert telegram.bots[FIRST].webhook is not None  # refused calls change nothing

        app = server.bots[f"shop-{CI}"].app
        assert app is not None
        assert app.runtime.settings["MIN_ORDER_AMOUNT"] == Decimal(20000)
        regos.shop.settings[CI]["MIN_ORDER_AMOUNT"] = "35000"
        assert await call("UpdateSettings") == 200
        await until(lambda: app.runtime.settings["MIN_ORDER_AMOUNT"] == Decimal(35000))
        assert telegram.bots[FIRST].webhook is not None  # same token: the bot stays

        regos.shop.settings[CI]["BOT_TOKEN"] = SECOND
        assert await call("UpdateSettings") == 200
        await until(lambda: telegram.bots[SECOND].webhook is not None)
        assert telegram.bots[FIRST].webhook is None  # the bot moved to the new token

        assert await call("Disconnect") == 200
        await until(lambda: telegram.bots[SECOND].webhook is None)
        _, ready = await get_readyz(base)
        assert ready["bots"] == {}

        assert await call("Connect") == 200
        await until(lambda: telegram.bots[SECOND].webhook is not None)
        status, ready = await get_readyz(base)
        assert (status, ready["bots"][f"shop-{CI}"]) == (200, {"status": "running", "regos": "ok"})
        regos.faults.fail_next("ConnectedIntegrationSetting/Get", ("error", 9006, "Access denied"))
        status, ready = await get_readyz(base)
        assert status == 503
        assert ready["bots"][f"shop-{CI}"]["regos"].startswith("unreachable: ")


async def test_an_order_status_change_reaches_its_customer_once_per_status(
    tmp_path: Path, worlds: tuple[BotApiEmulator, str, RegosEmulator, str],
) -> None:
    telegram, api, regos, regos_url = worlds
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f"""\
integrations:
  shop:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings: {{REGOS_INTEGRATION_KEY: {DEMO_INTEGRATION_KEY}, REGOS_CONNECTED_INTEGRATION_ID: {CI},
               REGOS_API_URL: "{regos_url}"}}
""", encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"}, "")
    await server.start_bots()
    await server.start_integrations()
    alice = telegram.add_user("Alice", language_code="ru")
    chat = telegram.private_chat(FIRST, alice)
    order = ShopOrder(9001, "A-9001", 1_752_840_000, 1, [], Decimal(50000), status="New",
                      external_code=f"tg-{chat.id}-0123456789abcdef")
    regos.shop.orders[order.id] = order
    async with listening(server) as base, aiohttp.ClientSession() as http:

        async def event(event_id: str, order_id: int = order.id) -> int:
            body = {"action": "HandleWebhook", "event_id": event_id,
                    "occurred_at": "2025-10-11T09:21:34Z", "connected_integration_id": CI,
                    "data": {"action": "DocOrderDeliveryEdited", "data": {"id": order_id}}}
            async with http.post(f"{base}/regos/{CI}", json=body) as reply:
                return reply.status

        def notices() -> list[str]:
            return [m.text or "" for m in telegram.bot_messages(chat)]

        assert await event("e-1") == 200  # "New": the customer saw the order placed
        order.status = "Approved"
        assert await event("e-2") == 200
        await until(lambda: len(notices()) == 1)
        assert notices() == ["📦 Заказ №A-9001: Подтверждён"]
        assert await event("e-2") == 200  # REGOS retries the same event
        assert await event("e-3") == 200  # another event, the status unchanged
        order.status = "Finished"
        assert await event("e-4") == 200
        await until(lambda: len(notices()) == 2)
        await asyncio.sleep(0.3)
        assert notices() == ["📦 Заказ №A-9001: Подтверждён", "📦 Заказ №A-9001: Выполнен"]
        order.status = "Canceled"
        assert await event("e-4") == 200  # a replayed event_id is not handled again
        assert await event("e-5", order_id=424242) == 200  # an order REGOS does not have
        async with http.post(f"{base}/regos/{CI}", json={
                "action": "HandleWebhook", "connected_integration_id": CI}) as reply:
            assert reply.status == 400  # no event_id
        await asyncio.sleep(0.3)
        assert len(notices()) == 2


async def test_a_reconnect_stops_the_bot_of_the_id_it_replaces(
    tmp_path: Path, worlds: tuple[BotApiEmulator, str, RegosEmulator, str],
) -> None:
    """The shop moved to a new connected integration with the same bot token: REGOS calls
    Reconnect on the new one, naming the old; the old one's bot stops, the new one's serves."""
    telegram, api, regos, regos_url = worlds
    moved, moved_key = "5" * 32, "moved-integration-key"
    regos.shop.integrations[moved_key] = moved
    regos.shop.settings[moved] = {**regos.shop.settings[CI]}
    del regos.shop.settings[moved]["BOT_TOKEN"]  # not set up yet: no bot at start
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(f"""\
integrations:
  old:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings: {{REGOS_INTEGRATION_KEY: {DEMO_INTEGRATION_KEY}, REGOS_CONNECTED_INTEGRATION_ID: {CI},
               REGOS_API_URL: "{regos_url}"}}
  new:
    package: actions.shop
    scenario: {ROOT / "scenarios" / "orders.yaml"}
    settings: {{REGOS_INTEGRATION_KEY: {moved_key}, REGOS_CONNECTED_INTEGRATION_ID: "{moved}",
               REGOS_API_URL: "{regos_url}"}}
""", encoding="utf-8")
    config, diagnostics = load_deploy(path, {})
    assert config is not None, diagnostics
    server = Server(config, {"TELEGRAM_API_URL": api, "STARTUP_RETRY_SECONDS": "0"}, "")
    await server.start_bots()
    await server.start_integrations()
    assert list(server.bots) == [f"old-{CI}"]
    async with listening(server) as base, aiohttp.ClientSession() as http:
        server.public_url = base
        await server.register_webhooks()
        regos.shop.settings[moved]["BOT_TOKEN"] = FIRST
        body = {"action": "Reconnect", "connected_integration_id": moved,
                "data": {"date": "2025-07-18T15:20:00Z", "previous_integration_id": CI}}
        async with http.post(f"{base}/regos/{moved}", json=body,
                             headers={"connected-integration-id": moved}) as reply:
            assert reply.status == 200
        await until(lambda: f"new-{moved}" in server.bots and f"old-{CI}" not in server.bots)
        new_hook = f"{base}/webhook/new-{moved}"
        await until(lambda: (telegram.bots[FIRST].webhook or {}).get("url") == new_hook)
        assert server.bots[f"new-{moved}"].status == "running"
        hooks = [(c.method, c.params.get("url")) for c in telegram.calls
                 if c.token == FIRST and c.method in ("setWebhook", "deleteWebhook")]
        assert hooks == [("setWebhook", f"{base}/webhook/old-{CI}"), ("deleteWebhook", None),
                         ("setWebhook", new_hook)], "the old bot's webhook went first"
        alice = telegram.add_user("Alice", language_code="en")
        chat = telegram.private_chat(FIRST, alice)
        telegram.send_text(FIRST, chat, alice, "/start")
        await until(lambda: telegram.last_bot_message(chat) is not None)
