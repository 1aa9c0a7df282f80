"""A webhook receiver of our own on 127.0.0.1 (aiohttp): it verifies each request's signature and answers
as a test scripts it (accept, fail with a status, never answer), remembering everything it saw."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from actions.tickets.webhooks import SIGNATURE_HEADER, verify

ACCEPT, FAIL, HANG, GONE, SLOW_DOWN = "accept", "fail", "hang", "gone", "slow_down"


@dataclass
class Received:
    event_id: str
    idempotency_key: str
    event_type: str
    body: bytes
    signed: bool
    answer: str

    @property
    def json(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


@dataclass
class Receiver:
    secret: str
    now: Callable[[], float]
    url: str = ""
    script: list[str] = field(default_factory=list)  # answers to the next requests, then ``ACCEPT``
    seen: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.seen if r.answer == ACCEPT]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        answer = self.script.pop(0) if self.script else ACCEPT
        signed = verify(self.secret, request.headers.get(SIGNATURE_HEADER, ""), body, now=self.now())
        self.seen.append(Received(request.headers.get("Tgflow-Event-Id", ""),
                                  request.headers.get("Idempotency-Key", ""),
                                  request.headers.get("Tgflow-Event", ""), body, signed, answer))
        if answer == HANG:
            await self.release.wait()
            return web.Response(status=200)
        if answer == FAIL:
            return web.Response(status=500, text="receiver is down")
        if answer == GONE:
            return web.Response(status=410)
        if answer == SLOW_DOWN:
            return web.Response(status=429, headers={"Retry-After": "120"})
        return web.json_response({"ok": True}) if signed else web.Response(status=401)


@asynccontextmanager
async def running_receiver(secret: str, now: Callable[[], float]) -> AsyncIterator[Receiver]:
    receiver = Receiver(secret, now)
    app = web.Application()
    app.router.add_post("/hooks/crm", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hooks/crm"
    try:
        yield receiver
    finally:
        receiver.release.set()
        await runner.cleanup()
