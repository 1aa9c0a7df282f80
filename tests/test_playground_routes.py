"""The web playground serves what the bots' packages register with ``pkg.add_route`` (the VIN
desk's admin panel and API) beside its own page and JSON API, across live reloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.playground.web.hub import Hub
from engine.playground.web.routes import make_app

ROUTED = Path(__file__).parent / "fixtures" / "routed" / "routed.yaml"
Api = TestClient[Any, Any]


@pytest.fixture
async def page() -> AsyncIterator[tuple[Hub, Api]]:
    hub = await Hub.start([ROUTED], {"GREETING": "Hey"}, on_event=lambda _: None)
    client: Api = TestClient(TestServer(make_app(hub), host="127.0.0.1"))
    await client.start_server()
    try:
        yield hub, client
    finally:
        await client.close()
        await hub.close()


async def test_a_packages_route_is_served_beside_the_page_and_its_api(
    page: tuple[Hub, Api],
) -> None:
    _, client = page
    reply = await client.get("/routed/hello/Ivy")
    assert reply.status == 200
    assert await reply.json() == {"greeting": "Hey, Ivy", "bot": "routed"}
    assert (await client.get("/")).status == 200  # the page itself
    assert (await client.get("/app.js")).status == 200  # and its scripts
    assert (await client.get("/api/state")).status == 200
    unknown = await client.get("/api/nothing")
    assert unknown.status == 404
    assert (await unknown.json())["ok"] is False
    assert (await client.get("/routed/nothing")).status == 404


async def test_after_a_live_reload_the_new_version_serves_the_routes(
    page: tuple[Hub, Api],
) -> None:
    hub, client = page
    bot = hub.bot("routed")
    old = bot.app
    assert (await bot.reload()).replaced
    assert bot.app is not old
    assert (await client.get("/routed/hello/Ivy")).status == 200
    assert hub.routes.served()[0] == "GET /routed/hello/{name} (routed)"
    alice = hub.add_person("Alice", "en").account
    started = await client.post("/api/bots/routed/send",
                                json={"chat_id": None, "user_id": alice.id, "text": "/start"})
    assert started.status == 200
    reply = await client.post(f"/routed/chats/{alice.id}/ping", json={"who": "v2"})
    assert reply.status == 201
    chat = bot.emulator.private_chat(bot.account, alice)
    assert [m.text for m in bot.emulator.messages(chat)][-1] == "Ping from v2"


async def test_the_vin_desks_api_is_open_in_the_playground_with_the_key_it_notes() -> None:
    hub = await Hub.start([ROUTED.parents[3] / "scenarios" / "vin_report.yaml"], {},
                          on_event=lambda _: None)
    client: Api = TestClient(TestServer(make_app(hub), host="127.0.0.1"))
    await client.start_server()
    try:
        assert (await client.get("/api/v1/openapi.json")).status == 200
        note = next(n for n in hub.bot("vin_report").notes if "/api/v1" in n)
        key = note.split("takes the key ")[1].split()[0]
        reply = await client.post("/api/v1/tickets", json={"vin": "WDBEA30D3HA391172"},
                                  headers={"Authorization": f"Bearer {key}",
                                           "X-Customer-Id": "42"})
        assert reply.status == 201, await reply.text()
        assert (await client.get("/api/v1/tickets", headers={"X-Customer-Id": "42"})).status == 401
    finally:
        await client.close()
        await hub.close()
