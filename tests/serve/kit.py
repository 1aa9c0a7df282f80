"""Helpers of the serve tests: a server's application on a free port, its /readyz."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from engine.serve.server import Server


@contextlib.asynccontextmanager
async def listening(server: Server) -> AsyncIterator[str]:
    """The server's application on a free port; yields its base URL."""
    runner = web.AppRunner(server.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def get_readyz(base: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/readyz") as reply:
        return reply.status, await reply.json()
