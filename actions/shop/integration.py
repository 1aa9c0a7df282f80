"""The orders bot as a REGOS integration under ``python -m engine serve`` (regos-api.md §13.1).

DEPLOY.yaml::

    integrations:
      corner:                                   # one connected shop (a local integration's key)
        package: actions.shop
        scenario: scenarios/orders.yaml
        settings:
          REGOS_INTEGRATION_KEY: ${CORNER_REGOS_KEY}
          REGOS_CONNECTED_INTEGRATION_ID: ${CORNER_REGOS_CI}

At start-up the shop's bot starts when its REGOS settings hold a ``BOT_TOKEN`` (the shop is
connected already). REGOS calls ``POST /regos/{connected_integration_id}`` with
``{"action", "connected_integration_id", "data"}`` (and the ``connected-integration-id``
header); the answer comes at once and the work is done in the background:

* ``Connect``, ``Reconnect``: the bot starts with the token from the shop's settings;
* ``Disconnect``: the bot stops and its webhook is deleted;
* ``UpdateSettings``: settings are read again; a changed ``BOT_TOKEN`` moves the bot to the new
  token (the old webhook deleted), a running bot otherwise re-reads its settings within a minute;
* ``HandleWebhook``: acknowledged (order notifications are not built yet).

A call naming another connected integration than the path's is refused (403) and starts nothing;
a path naming an id this server does not serve is 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from aiohttp import web

from actions.regos.api import RegosApi
from actions.regos.client import DEFAULT_BASE_URL, RegosClient
from actions.regos.errors import RegosError
from engine.errors import ConfigError
from engine.serve.integrations import IntegrationHost

__all__ = ["setup_integration"]

log = logging.getLogger("actions.shop.integration")
HEADER = "connected-integration-id"
STARTS = frozenset({"Connect", "Reconnect"})
KNOWN = STARTS | {"Disconnect", "UpdateSettings", "HandleWebhook"}


class RegosShop:
    """One connected shop of a serve integration: its bot follows REGOS's calls."""

    def __init__(self, host: IntegrationHost, api: RegosApi, ci: str) -> None:
        self.host, self.api, self.ci = host, api, ci
        self.token: str | None = None
        self.lock = asyncio.Lock()  # REGOS's calls about one shop take effect in order

    async def start(self) -> None:
        async with self.lock:
            await self._start()

    async def stop(self) -> None:
        async with self.lock:
            self.token = None
            await self.host.stop_bot(self.ci)

    async def settings_changed(self) -> None:
        async with self.lock:
            if self.token is None:
                await self._start()
                return
            try:
                token = (await self.api.integration_settings()).get("BOT_TOKEN", "").strip()
            except RegosError as exc:
                log.error("REGOS shop %s: cannot read its settings: %s", self.ci, exc)
                return
            if token != self.token:
                await self._start()

    async def _start(self) -> None:
        """Start (or move) the bot with the token REGOS holds; none: the shop is not set up."""
        try:
            token = (await self.api.integration_settings()).get("BOT_TOKEN", "").strip()
        except RegosError as exc:
            log.error("REGOS shop %s: cannot read its settings: %s", self.ci, exc)
            return
        if not token:
            log.warning("REGOS shop %s has no BOT_TOKEN setting: its bot waits for one", self.ci)
            return
        if self.token is not None and token != self.token:
            await self.host.stop_bot(self.ci)  # the old token's webhook goes
        self.token = token
        await self.host.start_bot(self.ci, token, {})

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, RecursionError):
            return _refuse(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _refuse(400, "the body is not a JSON object")
        named = request.headers.get(HEADER) or body.get("connected_integration_id")
        if named != self.ci:
            log.warning("REGOS call for connected integration %r at the path of %s refused",
                        named, self.ci)
            return _refuse(403, "unknown connected integration")
        action = body.get("action")
        if action not in KNOWN:
            return _refuse(400, f"unknown action {action!r}")
        log.warning("REGOS shop %s: %s", self.ci, action)
        if action in STARTS:
            self.host.spawn(self.start())
        elif action == "Disconnect":
            self.host.spawn(self.stop())
        elif action == "UpdateSettings":
            self.host.spawn(self.settings_changed())
        return web.json_response({"ok": True})


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


async def setup_integration(host: IntegrationHost) -> None:
    key = host.environ.get("REGOS_INTEGRATION_KEY", "")
    ci = host.environ.get("REGOS_CONNECTED_INTEGRATION_ID", "")
    if not key or not ci:
        raise ConfigError(f"integration {host.name}: REGOS_INTEGRATION_KEY and "
                          "REGOS_CONNECTED_INTEGRATION_ID must be set in its settings")
    http = await host.stack.enter_async_context(httpx.AsyncClient())
    client = RegosClient(http, integration_key=key, connected_integration_id=ci,
                         base_url=host.environ.get("REGOS_API_URL") or DEFAULT_BASE_URL)
    shop = RegosShop(host, RegosApi(client), ci)
    host.add_route("POST", f"/regos/{ci}", shop.handle)
    await shop.start()
