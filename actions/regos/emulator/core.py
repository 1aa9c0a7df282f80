"""The REGOS emulator: an in-memory account answering the API methods the bot uses.

:meth:`RegosEmulator.handle` takes what arrived over HTTP (integration key, method path, body)
and returns the HTTP answer; :class:`~actions.regos.emulator.server.RegosEmulatorServer` puts
it on loopback. Method paths are case-insensitive. Every request is logged in ``requests``.

Choices where the real API is silent or could not be observed:

* an unknown integration key in the URL → HTTP 200, ErrorResult **9006** (access), because the
  API reports access problems that way and the client then shows "regos.access";
* an unknown method → HTTP 200, ErrorResult **1002** "Unknown method" (code invented);
* the documented rate limit is enforced per connected integration (2/s, burst 50) with
  ErrorResult 8213, unless ``rate_limit=False``; requests answered by a fault switch do not
  draw from the bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actions.regos import codec
from actions.regos.emulator import apps, catalog, customers, orders
from actions.regos.emulator.apps import Tokens
from actions.regos.emulator.common import Call, EmuError, Handler
from actions.regos.emulator.faults import Fault, Faults
from actions.regos.emulator.shop import Shop
from actions.regos.ratelimit import MemoryTokenBucket

__all__ = ["UNKNOWN_METHOD_CODE", "EmuReply", "RegosEmulator"]

log = logging.getLogger("actions.regos.emulator")

UNKNOWN_METHOD_CODE = 1002
ACCESS_CODE = 9006
RATE_LIMIT_CODE = 8213

_HANDLERS: dict[str, Handler] = {**catalog.HANDLERS, **customers.HANDLERS, **orders.HANDLERS,
                                 **apps.HANDLERS}
_CANONICAL = {name.lower(): name for name in _HANDLERS}


@dataclass(frozen=True)
class EmuReply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "result": {"error": code, "description": description}}


class RegosEmulator:
    """An emulated REGOS account built from a :class:`Shop` (deep-copied: ``emu.shop`` is its own)."""

    def __init__(self, shop: Shop, *, public_base: str = "http://127.0.0.1", rate_limit: bool = True,
                 rate: float = 2.0, burst: int = 50, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, stall_seconds: float = 5.0) -> None:
        self.shop = copy.deepcopy(shop)
        self.public_base = public_base
        self.faults = Faults()
        self.requests: list[tuple[str, Any]] = []
        self.rate_limit = rate_limit
        self.stall_seconds = stall_seconds
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._wall_clock = wall_clock
        self._buckets: dict[str, MemoryTokenBucket] = {}
        self._delays: dict[str, float] = {}
        self._closing = asyncio.Event()
        self.tokens = Tokens(clock=clock)  # bearer tokens of catalog integrations

    # ------------------------------------------------------------------ test helpers

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` (``"*"`` = all) ``seconds`` late; 0 switches it off."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def calls_of(self, method: str) -> list[Any]:
        """Payloads of every request to ``method`` so far (case-insensitive), in order."""
        return [payload for name, payload in self.requests if name.lower() == method.lower()]

    def close(self) -> None:
        """End every stall now (the server calls this on shutdown)."""
        self._closing.set()

    def open(self) -> None:
        self._closing.clear()

    def dispatch(self, connected_integration_id: str, method: str, payload: Any,
                 app: str | None = None) -> dict[str, Any]:
        """Run one method on the state and return its envelope (no faults, no rate limit)."""
        handler = _HANDLERS.get(_CANONICAL.get(method.lower(), ""))
        if handler is None:
            return _error(UNKNOWN_METHOD_CODE, f"Unknown method: {method}")
        call = Call(shop=self.shop, connected_integration_id=connected_integration_id,
                    public_base=self.public_base, payload=payload, now=int(self._wall_clock()), app=app)
        try:
            return handler(call)
        except EmuError as exc:
            return _error(exc.code, exc.description)

    # ------------------------------------------------------------------ the HTTP face

    def token(self, client_id: str, client_secret: str) -> EmuReply:
        """``POST /oauth/token`` (client credentials): a bearer token, or 401."""
        app = self.shop.apps.get(client_id)
        if app is None or not secrets.compare_digest(app.client_secret, client_secret):
            return EmuReply(401, codec.dumps({"error": "invalid_client"}))
        return EmuReply(200, codec.dumps(self.tokens.issue(client_id)))

    async def handle(self, integration_key: str, method_path: str, body: bytes,
                     authorization: str | None = None) -> EmuReply:
        method = _CANONICAL.get(method_path.lower(), method_path)
        try:
            payload: Any = codec.loads(body) if body.strip() else None
        except ValueError:
            self.requests.append((method, None))
            return self._json(_error(1008, "Input validation error: the body is not JSON. Details: body"))
        self.requests.append((method, payload))
        connected_integration_id = self.shop.integrations.get(integration_key)
        app = None
        if connected_integration_id is None and authorization is not None:
            # a catalog integration: its token, and the shop's id in the URL
            app = self.tokens.client_of(authorization)
            catalog = self.shop.apps.get(app) if app is not None else None
            if catalog is None:
                return EmuReply(401, codec.dumps({"error": "invalid_token"}))
            if catalog.connected.get(integration_key):
                connected_integration_id = integration_key
        if connected_integration_id is None:
            return self._json(_error(ACCESS_CODE, "Access denied: unknown integration key"))
        wait = self._delays.get(method.lower(), self._delays.get("*", 0.0))
        if wait:
            await self._stall(wait)
        fault = self.faults.take(method)
        if fault is not None:
            return await self._fault(fault, connected_integration_id, method, payload)
        if self.rate_limit and self._bucket(connected_integration_id).try_acquire() > 0:
            return self._json(_error(RATE_LIMIT_CODE, "Request limit exceeded, try again later"))
        return self._json(self.dispatch(connected_integration_id, method, payload, app))

    def _bucket(self, connected_integration_id: str) -> MemoryTokenBucket:
        bucket = self._buckets.get(connected_integration_id)
        if bucket is None:
            bucket = MemoryTokenBucket(self._rate, self._burst, clock=self._clock)
            self._buckets[connected_integration_id] = bucket
        return bucket

    async def _fault(self, fault: Fault, connected_integration_id: str, method: str,
                     payload: Any) -> EmuReply:
        log.info("emulator: fault %s on %s", fault.kind, method)
        if fault.kind == "rate_limit":
            return self._json(_error(RATE_LIMIT_CODE, "Request limit exceeded, try again later"))
        if fault.kind == "error":
            return self._json(_error(fault.code or 0, fault.description))
        if fault.kind == "http429":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return EmuReply(429, b"Too Many Requests", "text/plain", headers)
        if fault.kind in ("http500", "http502"):
            status = int(fault.kind[4:])
            return EmuReply(status, f"<html><body><h1>{status}</h1></body></html>".encode(), "text/html")
        if fault.kind == "bad_json":
            return EmuReply(200, b"<html><body>Service temporarily unavailable</body></html>", "text/html")
        if fault.kind == "commit_then_timeout":
            envelope = self.dispatch(connected_integration_id, method, payload)
            await self._stall(self.stall_seconds)
            return self._json(envelope)
        await self._stall(self.stall_seconds)  # "timeout": nothing is processed
        return EmuReply(504, b"Gateway Timeout", "text/plain")

    async def _stall(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    @staticmethod
    def _json(envelope: dict[str, Any]) -> EmuReply:
        return EmuReply(200, codec.dumps(envelope), "application/json")
