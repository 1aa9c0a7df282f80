"""A catalog integration's access: client-credentials tokens (fetched once, renewed before they run
out, replaced after a 401), calls to each shop with its connected integration id in the URL, and
``ConnectedIntegration/Get`` listing what the caller may see, against the emulator on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from actions.regos.api import RegosApi
from actions.regos.auth import ClientCredentials, access_from
from actions.regos.client import RegosClient
from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    CatalogApp,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from actions.regos.errors import RegosAccessError
from engine.errors import ConfigError

from .conftest import FakeTime

SHOP_A, SHOP_B, SHOP_GONE = "a" * 32, "b" * 32, "c" * 32


@dataclass
class World:
    emu: RegosEmulator
    server: RegosEmulatorServer
    http: httpx.AsyncClient

    def credentials(self, secret: str = "s3cret", clock: FakeTime | None = None) -> ClientCredentials:
        if clock is None:
            return ClientCredentials(self.http, client_id="tgflow", client_secret=secret,
                                     url=self.server.auth_url)
        return ClientCredentials(self.http, client_id="tgflow", client_secret=secret,
                                 url=self.server.auth_url, clock=clock)

    def api(self, ci: str, auth: ClientCredentials) -> RegosApi:
        return RegosApi(RegosClient(self.http, integration_key=ci, connected_integration_id=ci,
                                    base_url=self.server.base_url, auth=auth, rate_limiter=None))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    shop = demo_shop()
    shop.apps["tgflow"] = CatalogApp("s3cret", {SHOP_A: True, SHOP_B: True, SHOP_GONE: False})
    for ci in (SHOP_A, SHOP_B, SHOP_GONE):
        shop.settings[ci] = {**shop.settings[DEMO_CONNECTED_INTEGRATION_ID], "BOT_TOKEN": f"1:{ci}"}
    emu = RegosEmulator(shop, rate_limit=False)
    async with RegosEmulatorServer(emu) as server, httpx.AsyncClient() as http:
        yield World(emu, server, http)


async def test_one_token_serves_every_shop_and_is_fetched_once_for_concurrent_calls(world: World) -> None:
    auth = world.credentials()
    a, b = world.api(SHOP_A, auth), world.api(SHOP_B, auth)
    settings = await asyncio.gather(a.integration_settings(), b.integration_settings(),
                                    a.integration_settings())
    assert [s["BOT_TOKEN"] for s in settings] == [f"1:{SHOP_A}", f"1:{SHOP_B}", f"1:{SHOP_A}"]
    assert auth.fetched == 1


async def test_a_token_is_renewed_before_it_runs_out(world: World) -> None:
    clock = FakeTime()
    auth = world.credentials(clock=clock)
    await world.api(SHOP_A, auth).integration_settings()
    clock.now += 600 - 31  # the emulator's tokens live 600 s; renewed 30 s before the end
    await world.api(SHOP_A, auth).integration_settings()
    assert auth.fetched == 2


async def test_a_revoked_token_is_replaced_and_the_call_goes_through(world: World) -> None:
    auth = world.credentials()
    api = world.api(SHOP_A, auth)
    await api.integration_settings()
    world.emu.tokens.revoke_all()
    assert (await api.integration_settings())["BOT_TOKEN"] == f"1:{SHOP_A}"
    assert auth.fetched == 2


async def test_wrong_credentials_are_an_access_error_not_retried(world: World) -> None:
    auth = world.credentials(secret="guess")
    with pytest.raises(RegosAccessError):
        await world.api(SHOP_A, auth).integration_settings()
    assert auth.fetched == 0


async def test_a_shop_that_did_not_connect_the_integration_is_refused(world: World) -> None:
    auth = world.credentials()
    with pytest.raises(RegosAccessError):
        await world.api("f" * 32, auth).integration_settings()
    with pytest.raises(RegosAccessError):  # disconnected (inactive) shops are refused too
        await world.api(SHOP_GONE, auth).integration_settings()


async def test_connected_integrations_lists_the_shops_of_the_integration_with_their_state(
        world: World) -> None:
    api = world.api(SHOP_A, world.credentials())
    assert await api.connected_integrations() == {SHOP_A: True, SHOP_B: True, SHOP_GONE: False}
    assert await api.connected_integrations([SHOP_B, "f" * 32]) == {SHOP_B: True}
    local = RegosApi(RegosClient(world.http, integration_key=DEMO_INTEGRATION_KEY,
                                 connected_integration_id=DEMO_CONNECTED_INTEGRATION_ID,
                                 base_url=world.server.base_url))
    assert await local.connected_integrations() == {DEMO_CONNECTED_INTEGRATION_ID: True}


def test_settings_name_either_a_local_key_or_complete_client_credentials() -> None:
    http = httpx.AsyncClient()
    key, auth = access_from({"REGOS_INTEGRATION_KEY": "k", "REGOS_CONNECTED_INTEGRATION_ID": "c"}, http)
    assert (key, auth) == ("k", None)
    segment, catalog = access_from({"REGOS_CLIENT_ID": "id", "REGOS_CLIENT_SECRET": "x",
                                    "REGOS_CONNECTED_INTEGRATION_ID": "c"}, http)
    assert segment == "c"
    assert isinstance(catalog, ClientCredentials)
    assert "x" not in repr(catalog)
    with pytest.raises(ConfigError, match="REGOS_CLIENT_SECRET"):
        access_from({"REGOS_CLIENT_ID": "id", "REGOS_CONNECTED_INTEGRATION_ID": "c"}, http)
    with pytest.raises(ConfigError, match="REGOS_INTEGRATION_KEY"):
        access_from({"REGOS_CONNECTED_INTEGRATION_ID": "c"}, http)
