"""HTTP routes a bot's action package serves beside the bot: an admin panel, an API for apps.

A package registers them in its start-up hook::

    async def setup_package(pkg: PackageContext) -> None:
        pkg.add_route("GET", "/api/v1/tickets/{ticket_id}", get_ticket)

    async def get_ticket(request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        desk = ctx.services.get(Desk)
        ...  # ctx.params["ticket_id"], ctx.settings, ctx.notifier (the bot's side messages)

``serve`` and the web playground mount the routes of every bot they host through one
:class:`RouteTable`, looked up per request by a middleware, so a bot started, revived or
rebuilt (a live reload) while the server runs serves its routes at once, with the new
version's settings and notifier; the host's own routes always come first. Two bots of one
server registering the same path, or a path the host keeps for itself (``/webhook/``,
``/metrics``, the playground's ``/api/``), is a start-up error. A handler's unexpected failure
is logged with its traceback and answered ``500`` in one line of JSON; an unavailable service
(:class:`~engine.errors.ServiceUnavailable`) is a ``503``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from engine.actions import NotifierProtocol, Services
from engine.errors import ConfigError, ServiceUnavailable
from engine.settings import Settings

__all__ = ["BotRoutes", "PackageRoute", "RouteContext", "RouteHandler", "RouteTable",
           "compile_path"]

log = logging.getLogger("engine.routes")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"})
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]*")


@dataclass(frozen=True)
class RouteContext:
    """What a package's route handler receives besides the request."""

    bot: str  #: the scenario's name
    params: Mapping[str, str]  #: the ``{name}`` parts of the path
    settings: Settings  #: the bot's settings now (refreshed from their sources when due)
    services: Services
    notifier: NotifierProtocol  #: the bot's side messages (``messages:``) to any chat
    now: Callable[[], datetime]
    log: logging.Logger


RouteHandler = Callable[[web.Request, RouteContext], Awaitable[web.StreamResponse]]


def compile_path(path: str) -> re.Pattern[str]:
    """``/admin/tickets/{ticket_id}`` → a pattern matching one path segment per ``{name}``."""
    if not path.startswith("/"):
        raise ConfigError(f"route {path!r}: a path starts with '/'")
    parts: list[str] = []
    position = 0
    names: set[str] = set()
    for match in _PARAM.finditer(path):
        literal = path[position:match.start()]
        if not _SEGMENT.fullmatch(literal.replace("/", "")):
            raise ConfigError(f"route {path!r}: {literal!r} is not a plain path")
        if match.group(1) in names:
            raise ConfigError(f"route {path!r}: {{{match.group(1)}}} appears twice")
        names.add(match.group(1))
        parts += [re.escape(literal), f"(?P<{match.group(1)}>[^/]+)"]
        position = match.end()
    tail = path[position:]
    if not _SEGMENT.fullmatch(tail.replace("/", "")):
        raise ConfigError(f"route {path!r}: {tail!r} is not a plain path")
    return re.compile("".join([*parts, re.escape(tail)]))


@dataclass(frozen=True)
class PackageRoute:
    method: str
    path: str
    handler: RouteHandler
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, method: str, path: str, handler: RouteHandler) -> PackageRoute:
        verb = method.upper()
        if verb not in METHODS:
            raise ConfigError(f"route {path!r}: unknown HTTP method {method!r}")
        return cls(verb, path, handler, compile_path(path))

    def allows(self, method: str) -> bool:
        return self.method == "*" or self.method == method or \
            (self.method == "GET" and method == "HEAD")


@dataclass
class BotRoutes:
    """One bot's routes with what their handlers need (built by ``build_app``)."""

    bot: str
    routes: Sequence[PackageRoute]
    settings: Callable[[], Awaitable[Settings]]
    services: Services
    notifier: NotifierProtocol
    now: Callable[[], datetime]

    async def context(self, params: Mapping[str, str]) -> RouteContext:
        return RouteContext(self.bot, params, await self.settings(), self.services,
                            self.notifier, self.now, log)


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@dataclass
class RouteTable:
    """The package routes of every bot one server hosts; ``reserved``: path prefixes the host
    serves itself (refused to packages)."""

    reserved: Sequence[str] = ()
    allowed: Sequence[str] = ()  #: prefixes allowed although under a reserved one (``/api/v``)
    _owners: dict[str, BotRoutes] = field(default_factory=dict)

    def replace(self, owner: str, routes: BotRoutes | None) -> None:
        """Serve ``owner``'s routes (instead of its previous version's)."""
        if routes is None:
            self.drop(owner)
            return
        for route in routes.routes:
            self._check_reserved(owner, route.path)
            for other, theirs in self._owners.items():
                if other == owner:
                    continue
                for taken in theirs.routes:
                    if taken.path == route.path and (
                            "*" in (taken.method, route.method) or taken.method == route.method):
                        raise ConfigError(f"{route.method} {route.path} is already served by "
                                          f"bot {other}")
        self._owners[owner] = routes

    def _check_reserved(self, owner: str, path: str) -> None:
        if any(path.startswith(p) for p in self.allowed):
            return
        for prefix in self.reserved:
            if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
                raise ConfigError(f"{path} is the server's own "
                                  f"({prefix} cannot be served by a package)")

    def drop(self, owner: str) -> None:
        self._owners.pop(owner, None)

    def served(self) -> list[str]:
        """``METHOD path (bot)`` of every route served, for a start-up log line."""
        return [f"{r.method} {r.path} ({bot})" for bot, owner in self._owners.items()
                for r in owner.routes]

    def find(self, method: str, path: str,
             ) -> tuple[BotRoutes, PackageRoute, dict[str, str]] | str | None:
        """The route serving ``method path`` with its parameters; ``"method"`` when the path
        is served with other methods only; None when no package serves it."""
        other_method = False
        for owner in self._owners.values():
            for route in owner.routes:
                match = route.pattern.fullmatch(path)
                if match is None:
                    continue
                if route.allows(method):
                    return owner, route, match.groupdict()
                other_method = True
        return "method" if other_method else None

    async def dispatch(self, request: web.Request) -> web.StreamResponse | None:
        found = self.find(request.method, request.path)
        if found is None:
            return None
        if found == "method":
            return _json_error(405, "method_not_allowed", f"{request.method} is not allowed here")
        assert not isinstance(found, str)
        owner, route, params = found
        try:
            return await route.handler(request, await owner.context(params))
        except web.HTTPException:
            raise  # a handler's own answer (a redirect, a 403)
        except ServiceUnavailable as exc:
            log.warning("%s %s: %s", request.method, route.path, exc)
            return _json_error(503, "unavailable", "a service is unavailable, try again later")
        except Exception:
            log.exception("%s %s failed (bot %s)", request.method, route.path, owner.bot)
            return _json_error(500, "internal", "the server failed on this request")

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                         ) -> web.StreamResponse:
        """The host's own routes first; a path its router does not know goes to the packages."""
        if self._owners and request.match_info.http_exception is not None:
            answered = await self.dispatch(request)
            if answered is not None:
                return answered
        return await handler(request)
