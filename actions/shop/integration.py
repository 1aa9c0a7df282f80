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

* ``Connect``, ``Reconnect``: the bot starts with the token from the shop's settings; a
  ``Reconnect`` naming a ``previous_integration_id`` that this server also serves stops that
  id's bot first;
* ``Disconnect``: the bot stops and its webhook is deleted;
* ``UpdateSettings``: settings are read again; a changed ``BOT_TOKEN`` moves the bot to the new
  token (the old webhook deleted), otherwise the running bot's settings are refreshed at once
  (their cached copy dropped);
* ``HandleWebhook``: once per ``event_id``; an order event re-reads the order
  (``DocOrderDelivery/Get``) and tells the customer who placed it in Telegram its new status
  (the message ``order_status``), at most once per status.

A call naming another connected integration than the path's is refused (403) and starts nothing;
a path naming an id this server does not serve is 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Coroutine
from typing import Any

import httpx
from aiohttp import web

from actions.regos.api import RegosApi
from actions.regos.client import DEFAULT_BASE_URL, RegosClient
from actions.regos.errors import RegosError
from actions.regos.settings_source import RegosSettingsSource
from engine.errors import ConfigError
from engine.serve.integrations import IntegrationHost

__all__ = ["SIGNAL", "RegosShop", "reconcile_seconds", "setup_local", "state_key"]

log = logging.getLogger("actions.shop.integration")
HEADER = "connected-integration-id"
STARTS = frozenset({"Connect", "Reconnect"})
KNOWN = STARTS | {"Disconnect", "UpdateSettings", "HandleWebhook"}
EVENT_TTL = 7 * 24 * 3600  # REGOS retries an event for minutes; its id stays taken for a week
NOTICE_TTL = 90 * 24 * 3600


class RegosShop:
    """One connected shop of a serve integration: its bot follows REGOS's calls."""

    def __init__(self, host: IntegrationHost, api: RegosApi, ci: str,
                 environ: dict[str, str] | None = None) -> None:
        self.host, self.api, self.ci = host, api, ci
        self.environ = environ or {}  # the bot's settings over the integration's
        self.token: str | None = None
        self.lock = asyncio.Lock()  # REGOS's calls about one shop take effect in order

    async def start(self) -> None:
        async with self.lock:
            await self._start()

    async def reconnect(self, previous: object) -> None:
        """``Reconnect``: the shop moved here from ``previous`` (its old connected integration):
        the old id's bot, when this server runs it, stops first (its webhook goes: one token,
        one webhook), then this one starts."""
        async with self.lock:
            if isinstance(previous, str) and previous and previous != self.ci:
                for other in self.host.server.integrations:  # another shop here, or one of ours
                    if (other is self.host or other.environ.get("REGOS_CONNECTED_INTEGRATION_ID")
                            == previous) and await other.stop_bot(previous):
                        log.warning("REGOS shop %s: the bot of %s, which it replaces, stopped",
                                    self.ci, previous)
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
                return
            app = self.host.bot_app(self.ci)
            if app is None:
                return
            for source in app.live_settings.sources:  # drop the cached copy, read them now
                if isinstance(source, RegosSettingsSource):
                    await source.refresh()
            app.runtime.settings = await app.live_settings.refresh(force=True)

    async def reconcile(self) -> None:
        """Follow what another process of the deployment was told: REGOS's calls reach one
        process, every process serves the shop's webhook. A shop marked disconnected stops
        here too (its webhook is gone already); otherwise the bot follows REGOS's token."""
        async with self.lock:
            if await self.host.kv.get(state_key(self.ci)) == "disconnected":
                await self._stop_here()
                return
            try:
                token = (await self.api.integration_settings()).get("BOT_TOKEN", "").strip()
            except RegosError as exc:
                log.info("REGOS shop %s: settings not read now: %s", self.ci, exc)
                return
            if token and token != self.token:
                await self._start()

    async def stop_here(self) -> None:
        """Stop this process's bot of the shop, leaving the webhook (another process, told by
        REGOS, deleted it or serves it)."""
        async with self.lock:
            await self._stop_here()

    async def _stop_here(self) -> None:
        if self.token is not None:
            self.token = None
            await self.host.stop_bot(self.ci, delete_webhook=False)
            log.warning("REGOS shop %s: disconnected through another process: its bot stopped here",
                        self.ci)

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
        await self.host.start_bot(self.ci, token, self.environ)

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
        if action == "HandleWebhook":
            return await self.webhook(body)
        log.warning("REGOS shop %s: %s", self.ci, action)
        data = body.get("data")
        if action in STARTS or action == "Disconnect":  # what the deployment's other processes follow
            await self.host.kv.set(state_key(self.ci), "disconnected" if action == "Disconnect"
                                   else "connected")
        if action == "Reconnect" and isinstance(data, dict):
            previous = data.get("previous_integration_id")
            if isinstance(previous, str) and previous and previous != self.ci:
                await self.host.kv.set(state_key(previous), "disconnected")
            self.host.spawn(self._signalled(self.reconnect(previous)))
        elif action in STARTS:
            self.host.spawn(self._signalled(self.start()))
        elif action == "Disconnect":
            self.host.spawn(self._signalled(self.stop()))
        elif action == "UpdateSettings":
            self.host.spawn(self._signalled(self.settings_changed()))
        return web.json_response({"ok": True})

    async def _signalled(self, work: Coroutine[Any, Any, None]) -> None:
        """Do what REGOS asked here, then tell the deployment's other processes to follow now
        (their periodic reconcile is the fallback when the signal is lost)."""
        try:
            await work
        finally:
            await self.host.signal(SIGNAL)


    async def webhook(self, body: dict[str, Any]) -> web.Response:
        """``HandleWebhook``: once per ``event_id``; an order event re-reads the order."""
        event_id = body.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            return _refuse(400, "HandleWebhook without an event_id")
        if not await self.host.kv.set_nx(f"regos:event:{self.ci}:{event_id}", "1", EVENT_TTL):
            log.info("REGOS shop %s: event %s already handled", self.ci, event_id)
            return web.json_response({"ok": True})
        event = body.get("data")
        name, payload = (event.get("action"), event.get("data")) if isinstance(event, dict) \
            else (None, None)
        order_id = payload.get("id") if isinstance(payload, dict) else None
        if isinstance(name, str) and name.startswith("DocOrderDelivery") and \
                isinstance(order_id, int) and not isinstance(order_id, bool):
            self.host.spawn(self.order_changed(order_id))
        return web.json_response({"ok": True})

    async def order_changed(self, order_id: int) -> None:
        """Tell the customer the order's new status: once per status, never "New" (the
        customer saw the order placed), only for orders placed in a Telegram chat."""
        try:
            order = await self.api.order(order_id)
        except RegosError as exc:
            log.error("REGOS shop %s: cannot re-read order %s: %s", self.ci, order_id, exc)
            return
        chat_id = chat_of(order.external_code) if order is not None else None
        app = self.host.bot_app(self.ci)
        if order is None or chat_id is None or app is None or order.status_name in ("", "New"):
            return
        key = f"regos:notice:{self.ci}:{order.id}:{order.status_name}"
        if not await self.host.kv.set_nx(key, "1", NOTICE_TTL):
            return
        data = {"order": {"id": order.id, "code": order.code, "status": order.status_name}}
        await app.runtime.notifier.send("order_status", chat_id, data)


SIGNAL = "shops"  # published when a process changed a shop's bot on REGOS's word


def state_key(ci: str) -> str:
    """Where the deployment keeps whether a shop is connected (the last Connect/Disconnect)."""
    return f"regos:shop:{ci}:state"


def reconcile_seconds(host: IntegrationHost) -> float:
    """``REGOS_RECONCILE_SECONDS`` (default 30; 0: off): how often each process follows shops
    connected, disconnected or given a new token through another process."""
    raw = host.environ.get("REGOS_RECONCILE_SECONDS") or "30"
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"REGOS_RECONCILE_SECONDS must be a number of seconds, not {raw!r}") from None
    if seconds < 0:
        raise ConfigError("REGOS_RECONCILE_SECONDS must be 0 (off) or more")
    return seconds


def chat_of(external_code: str | None) -> int | None:
    """The chat an order was placed from (its ``external_code`` is ``tg-<chat id>-<random>``)."""
    match = re.fullmatch(r"tg-(-?\d+)-\w+", external_code or "")
    return int(match.group(1)) if match else None


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


async def setup_local(host: IntegrationHost) -> None:
    """The hook's branch for one shop connected through a local integration key."""
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
    if await host.kv.get(state_key(ci)) != "disconnected":
        await shop.start()
    host.on_signal(SIGNAL, shop.reconcile)
    if seconds := reconcile_seconds(host):
        host.every(seconds, shop.reconcile)
