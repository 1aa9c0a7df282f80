"""The emulator on loopback HTTP (aiohttp), for the real client and for the sandbox bot.

    async with RegosEmulatorServer(RegosEmulator(demo_shop())) as server:
        server.base_url      # REGOS_API_URL, e.g. http://127.0.0.1:54321/gateway/out
        server.public_base   # where item pictures are served: {public_base}/images/{id}.png

Routes: ``POST /gateway/out/{key}/v1/{Controller}/{Method}`` (``key``: a local integration key,
or a connected integration id with a catalog integration's ``Authorization: Bearer``),
``POST /oauth/token`` (client credentials) and ``GET /images/{item_id}.png``
(``?size=Large|Medium|Small``; 404 for unknown items and items without a picture).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from aiohttp import web

from actions.regos.emulator.core import EmuReply, RegosEmulator
from actions.regos.emulator.images import SIZES, item_png

__all__ = ["RegosEmulatorServer"]


class RegosEmulatorServer:
    def __init__(self, emulator: RegosEmulator, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._images: dict[tuple[int, str], bytes] = {}

    @property
    def public_base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        """REGOS_AUTH_URL: where catalog integrations get their tokens."""
        return f"{self.public_base}/oauth/token"

    @property
    def base_url(self) -> str:
        return f"{self.public_base}/gateway/out"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/gateway/out/{key}/v1/{controller}/{method}", self._api)
        app.router.add_get("/images/{item_id:[0-9]+}.png", self._image)
        app.router.add_post("/oauth/token", self._token)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.emulator.public_base = self.public_base
        self.emulator.open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.emulator.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        path = f"{request.match_info['controller']}/{request.match_info['method']}"
        body = await request.read()
        reply = await self.emulator.handle(request.match_info["key"], path, body,
                                           request.headers.get("Authorization"))
        return self._reply(reply)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        return self._reply(self.emulator.token(str(form.get("client_id", "")),
                                               str(form.get("client_secret", ""))))

    @staticmethod
    def _reply(reply: EmuReply) -> web.Response:
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers,
                            content_type=reply.content_type, charset="utf-8")

    async def _image(self, request: web.Request) -> web.Response:
        item_id = int(request.match_info["item_id"])
        item = self.emulator.shop.items.get(item_id)
        if item is None or not item.has_image:
            raise web.HTTPNotFound()
        size = request.query.get("size", "Default")
        size = size if size in SIZES else "Default"
        png = self._images.get((item_id, size))
        if png is None:
            png = await asyncio.to_thread(item_png, item_id, size)
            self._images[(item_id, size)] = png
        return web.Response(body=png, content_type="image/png",
                            headers={"Cache-Control": "public, max-age=86400"})
