"""The REGOS retail shop: catalog, cart, customer, checkout, loyalty cards, my orders.

``setup_package`` (called by the engine at start-up) builds the REGOS client from the
environment and registers the shop's services, REGOS as a settings source, and the start-up
checks. ``setup_sandbox`` (called only by ``python -m engine shell`` and the test kit, before
that) starts the REGOS emulator with its demo shop on loopback when no ``REGOS_INTEGRATION_KEY``
is set, and points the environment at it, so the bot runs with no account.
``setup_integration`` (called by ``python -m engine serve`` for a DEPLOY.yaml integration) serves
a connected shop's bot and REGOS's calls about it (:mod:`actions.shop.integration`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from actions.regos.api import RegosApi
from actions.regos.auth import access_from
from actions.regos.client import DEFAULT_BASE_URL, RegosClient
from actions.regos.ratelimit import MemoryTokenBucket, RateLimiter, RedisTokenBucket
from actions.regos.settings_source import RegosSettingsSource
from actions.shop.catalog_cache import CatalogCache
from actions.shop.integration import setup_local
from actions.shop.regos_app import setup_catalog
from actions.shop.services import Shop
from engine.errors import ConfigError
from engine.health import Readiness
from engine.packages import PackageContext
from engine.serve.integrations import IntegrationHost

if TYPE_CHECKING:  # the sandbox is never part of a production start
    from engine.playground.sandbox import Sandbox

__all__ = ["setup_integration", "setup_package", "setup_sandbox"]



async def setup_sandbox(sandbox: Sandbox) -> None:
    if sandbox.environ.get("REGOS_INTEGRATION_KEY"):
        return
    from actions.regos.emulator import (
        DEMO_CONNECTED_INTEGRATION_ID,
        DEMO_INTEGRATION_KEY,
        RegosEmulator,
        RegosEmulatorServer,
        demo_shop,
    )
    from actions.shop.sandbox_checks import offer_checks
    from actions.shop.sandbox_panels import offer_panels

    emulator = RegosEmulator(demo_shop())
    server = await sandbox.stack.enter_async_context(RegosEmulatorServer(emulator))
    offer_checks(sandbox, emulator)
    offer_panels(sandbox, emulator)
    sandbox.set_environ(REGOS_API_URL=server.base_url, REGOS_INTEGRATION_KEY=DEMO_INTEGRATION_KEY,
                        REGOS_CONNECTED_INTEGRATION_ID=DEMO_CONNECTED_INTEGRATION_ID)
    sandbox.log.warning("no REGOS_INTEGRATION_KEY: using the REGOS emulator's demo shop at %s",
                        server.base_url)


async def setup_integration(host: IntegrationHost) -> None:
    """``serve``'s hook: a catalog integration (``REGOS_CLIENT_ID``) serves every shop that
    connects it (:mod:`actions.shop.regos_app`), a local one its one shop
    (:mod:`actions.shop.integration`)."""
    if host.environ.get("REGOS_CLIENT_ID"):
        await setup_catalog(host)
    else:
        await setup_local(host)


def _float_env(pkg: PackageContext, name: str, default: float) -> float:
    raw = pkg.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None


async def setup_package(pkg: PackageContext) -> None:
    http = await pkg.stack.enter_async_context(httpx.AsyncClient())
    key, auth = access_from(pkg.environ, http)
    ci = pkg.environ["REGOS_CONNECTED_INTEGRATION_ID"]
    rate = _float_env(pkg, "REGOS_RATE", 2.0)
    burst = int(_float_env(pkg, "REGOS_BURST", 50))
    limiter: RateLimiter = RedisTokenBucket(pkg.redis, ci, rate=rate, burst=burst) \
        if pkg.redis is not None else MemoryTokenBucket(rate, burst)
    client = RegosClient(
        http, integration_key=key, connected_integration_id=ci,
        base_url=pkg.environ.get("REGOS_API_URL") or DEFAULT_BASE_URL, rate_limiter=limiter,
        timeout=_float_env(pkg, "REGOS_TIMEOUT", 30.0),
        write_timeout=_float_env(pkg, "REGOS_WRITE_TIMEOUT", 60.0), auth=auth,
    )
    api = RegosApi(client)
    shop = Shop(api, pkg.kv, ci, CatalogCache(api, pkg.kv, ci))
    pkg.services.add(Shop, shop)
    pkg.services.add(RegosApi, api)
    pkg.add_settings_source(RegosSettingsSource(api, pkg.kv, ci))
    pkg.after_settings(shop.check_settings)
    if (readiness := pkg.services.find(Readiness)) is not None:  # serve's /readyz
        readiness.add("regos", api.integration_settings)
