"""The orders bot as a catalog REGOS integration: one integration, every shop that connects it.

DEPLOY.yaml names the integration's client credentials, not its shops::

    integrations:
      shops:                                  # REGOS's handler URL: {PUBLIC_URL}/regos/shops
        package: actions.shop
        scenario: scenarios/orders.yaml
        settings:
          REGOS_CLIENT_ID: ${REGOS_CLIENT_ID}
          REGOS_CLIENT_SECRET: ${REGOS_CLIENT_SECRET}

Shops are discovered: at start-up ``ConnectedIntegration/Get`` (asked through any shop this
integration knew, remembered in the key-value store, or ``REGOS_CONNECTED_INTEGRATION_IDS``) lists
every shop that connected it, and each active one gets its bot (the token from its
``BOT_TOKEN`` setting). While serving, REGOS calls ``POST /regos/{integration}`` naming the shop in
the ``connected-integration-id`` header (or the body): a ``Connect`` or ``Reconnect`` for a shop not
served yet is verified first with ``ConnectedIntegration/Get`` through that shop (this
integration's token must reach it and it must be active), so a forged id starts nothing (403);
any other call for an unknown shop is 404. The rest is :class:`actions.shop.integration.RegosShop`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
from aiohttp import web

from actions.regos.api import RegosApi
from actions.regos.auth import DEFAULT_AUTH_URL, ClientCredentials
from actions.regos.client import DEFAULT_BASE_URL, RegosClient
from actions.regos.errors import RegosAccessError, RegosError
from actions.shop.integration import SIGNAL, RegosShop, reconcile_seconds
from engine.errors import ConfigError
from engine.serve.integrations import IntegrationHost

__all__ = ["RegosApp", "setup_catalog"]

log = logging.getLogger("actions.shop.regos_app")
HEADER = "connected-integration-id"
STARTS = frozenset({"Connect", "Reconnect"})
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: how long a Connect may wait for REGOS to confirm the shop (REGOS itself waits 30 s)
VERIFY_TIMEOUT = 20.0


class RegosApp:
    """Every shop of one catalog integration, each a :class:`RegosShop` with a bot."""

    def __init__(self, host: IntegrationHost, http: httpx.AsyncClient, auth: ClientCredentials) -> None:
        self.host, self.http, self.auth = host, http, auth
        self.base_url = host.environ.get("REGOS_API_URL") or DEFAULT_BASE_URL
        self.shops: dict[str, RegosShop] = {}  # by connected integration id
        self._remembered = f"regos:app:{host.name}:shops"
        self._lock = asyncio.Lock()

    def api(self, ci: str) -> RegosApi:
        return RegosApi(RegosClient(self.http, integration_key=ci, connected_integration_id=ci,
                                    base_url=self.base_url, auth=self.auth))

    def shop(self, ci: str) -> RegosShop:
        return self.shops.setdefault(ci, RegosShop(self.host, self.api(ci), ci,
                                                   {"REGOS_CONNECTED_INTEGRATION_ID": ci}))

    async def discover(self) -> None:
        """Start the bot of every active shop REGOS lists for this integration."""
        known = await self._known()
        seeds = [ci.strip() for ci in self.host.environ.get("REGOS_CONNECTED_INTEGRATION_IDS", "").split(",")]
        candidates = list(dict.fromkeys([*known, *(ci for ci in seeds if ID.fullmatch(ci))]))
        listed: dict[str, bool] | None = None
        for ci in candidates:  # any shop still connected can list them all
            try:
                listed = await self.api(ci).connected_integrations()
                break
            except RegosAccessError:
                log.warning("REGOS integration %s: shop %s no longer answers; trying another",
                            self.host.name, ci)
            except RegosError as exc:
                log.error("REGOS integration %s: cannot list its shops (%s); starting the %d "
                          "it knew", self.host.name, exc, len(known))
                listed = dict.fromkeys(known, True)
                break
        if listed is None:
            log.warning("REGOS integration %s knows no connected shop yet: bots start on REGOS's "
                        "Connect calls", self.host.name)
            return
        active = [ci for ci, is_active in listed.items() if is_active and ID.fullmatch(ci)]
        await self._save(active)
        log.warning("REGOS integration %s: %d active shop(s) of %d listed", self.host.name,
                    len(active), len(listed))
        for ci in active:
            await self.shop(ci).start()

    async def verify(self, ci: str) -> bool | None:
        """Whether REGOS confirms ``ci`` as an active shop of this integration; None: no answer."""
        try:
            listed = await asyncio.wait_for(self.api(ci).connected_integrations([ci]), VERIFY_TIMEOUT)
        except RegosAccessError:
            return False
        except (RegosError, TimeoutError) as exc:
            log.error("REGOS integration %s: cannot verify shop %s: %s", self.host.name, ci, exc)
            return None
        return listed.get(ci) is True

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, RecursionError):
            return _refuse(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _refuse(400, "the body is not a JSON object")
        named = request.headers.get(HEADER) or body.get("connected_integration_id")
        if not isinstance(named, str) or not ID.fullmatch(named):
            return _refuse(400, "no connected integration id")
        action = body.get("action")
        if named not in self.shops:
            if action not in STARTS:
                return _refuse(404, "unknown connected integration")
            confirmed = await self.verify(named)
            if confirmed is None:
                return _refuse(503, "REGOS could not confirm the connected integration; try again")
            if not confirmed:
                log.warning("REGOS integration %s: %s for %r refused: not an active shop of this "
                            "integration", self.host.name, action, named)
                return _refuse(403, "unknown connected integration")
            self.shop(named)
            await self._change(add=named)
        data = body.get("data")
        previous = data.get("previous_integration_id") if isinstance(data, dict) else None
        if action == "Reconnect" and isinstance(previous, str) and previous in self.shops \
                and previous != named:
            del self.shops[previous]  # its bot is stopped by the new shop's reconnect
            await self._change(remove=previous)
        reply: web.Response = await self.shops[named].handle(request)
        if action == "Disconnect" and reply.status == 200:
            self.shops.pop(named, None)
            await self._change(remove=named)
        return reply

    async def reconcile(self) -> None:
        """Follow the shops another process of the deployment started or stopped (the
        remembered list is shared through the store), then each shop's own state."""
        known = set(await self._known())
        for ci in sorted(known - set(self.shops)):
            log.warning("REGOS integration %s: shop %s connected through another process",
                        self.host.name, ci)
            await self.shop(ci).start()
        for ci in sorted(set(self.shops) - known):
            await self.shops.pop(ci).stop_here()
        for shop in list(self.shops.values()):
            await shop.reconcile()

    async def _known(self) -> list[str]:
        raw = await self.host.kv.get(self._remembered)
        try:
            known = json.loads(raw) if raw else []
        except ValueError:
            known = []
        return [ci for ci in known if isinstance(ci, str) and ID.fullmatch(ci)]

    async def _save(self, shops: list[str]) -> None:
        await self.host.kv.set(self._remembered, json.dumps(sorted(set(shops))))

    async def _change(self, *, add: str | None = None, remove: str | None = None) -> None:
        async with self._lock:
            known = set(await self._known())
            if add:
                known.add(add)
            if remove:
                known.discard(remove)
            await self._save(sorted(known))


async def setup_catalog(host: IntegrationHost) -> None:
    """The hook's catalog branch: credentials from the settings, one route, discovery."""
    if not host.environ.get("REGOS_CLIENT_SECRET"):
        raise ConfigError(f"integration {host.name}: REGOS_CLIENT_SECRET must be set with REGOS_CLIENT_ID")
    http = await host.stack.enter_async_context(httpx.AsyncClient())
    auth = ClientCredentials(http, client_id=host.environ["REGOS_CLIENT_ID"],
                             client_secret=host.environ["REGOS_CLIENT_SECRET"],
                             url=host.environ.get("REGOS_AUTH_URL") or DEFAULT_AUTH_URL)
    app = RegosApp(host, http, auth)
    host.add_route("POST", f"/regos/{host.name}", app.handle)
    await app.discover()
    host.on_signal(SIGNAL, app.reconcile)  # another process changed a shop: follow it now
    if seconds := reconcile_seconds(host):
        host.every(seconds, app.reconcile)


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)
