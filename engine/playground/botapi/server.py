"""The emulator over HTTP: an aiohttp application bound to loopback.

* ``/bot{token}/{method}`` (GET and POST): the Bot API. Parameters come from the query string and
  from a JSON, urlencoded or multipart body (file parts become uploads).
* ``/file/bot{token}/{file_path}``: downloads of stored files (the path comes from getFile).
* ``/_emu/...``: the control API of :mod:`.control`.

Use ``async with EmulatorServer(world) as srv`` and point aiogram at
``TelegramAPIServer.from_base(srv.base_url)``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .control import add_control_routes
from .dispatch import dispatch
from .emulator import BotApiEmulator
from .errors import ApiError
from .limits import FILE_UPLOAD_MAX, MB
from .uploads import Upload

MAX_REQUEST_SIZE = FILE_UPLOAD_MAX + MB  # room for the other form fields


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query-string, JSON, urlencoded and multipart parameters, and file parts."""
    fields: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return fields, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        fields.update(body)
        return fields, files
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = Upload(name, value.filename, value.file.read(), value.content_type)
            else:
                fields[name] = value
    return fields, files


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def build_app(world: BotApiEmulator) -> web.Application:
    """The aiohttp application serving ``world``."""

    async def bot_api(request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            fields, files = await read_params(request)
        except web.HTTPRequestEntityTooLarge:
            return _reply(413, ApiError(413, "Request Entity Too Large").to_json())
        except ApiError as exc:
            return _reply(exc.status, exc.to_json())
        reply = await dispatch(world, token, method, fields, files)
        return _reply(reply.status, reply.body)

    async def download(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in world.bots:
            return _reply(401, ApiError(401, "Unauthorized").to_json())
        stored = world.files.at_path(request.match_info["file_path"])
        if stored is None or stored.data is None:
            return _reply(404, ApiError(404, "Not Found").to_json())
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    app = web.Application(client_max_size=MAX_REQUEST_SIZE)
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", download)
    add_control_routes(app, world)
    return app


class EmulatorServer:
    """Run :func:`build_app` on ``host:port`` (port 0 picks a free one) while in the block."""

    def __init__(
        self,
        world: BotApiEmulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self.world = world
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` for ``TelegramAPIServer.from_base``."""
        if self._runner is None:
            raise RuntimeError("the emulator server is not running")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(
            build_app(self.world),
            handler_cancellation=True,
            shutdown_timeout=self.shutdown_timeout,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self.port = int(address[1])
                break

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.world.interrupt_polls()
        await self.world.webhooks.stop()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
