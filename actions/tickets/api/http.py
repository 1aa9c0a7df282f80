"""What every API endpoint shares: JSON errors, CORS for the configured origins, the app's key and
the customer it acts for. Messages here are for the app's developers (English, stable ``code``s); the
customer-facing texts stay in the app and in the bot's templates."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from actions.tickets.api.keys import ApiKeys
from engine.routes import RouteContext

__all__ = ["ApiError", "Caller", "endpoint", "error", "preflight"]

ALLOWED_HEADERS = "Authorization, X-Api-Key, X-Customer-Id, Content-Type"
ALLOWED_METHODS = "GET, POST, OPTIONS"
EXPOSED_HEADERS = "Retry-After, Content-Disposition, X-Report-Sha256"
MAX_USER_ID = 2**53  # Telegram user ids fit in 52 bits


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra
        self.headers: dict[str, str] = {}


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


@dataclass(frozen=True)
class Caller:
    client: str  #: the app (its API key's name)
    customer_id: int  #: the customer's Telegram user id, as the app asserts it


@functools.lru_cache(maxsize=8)
def _keys(text: str) -> ApiKeys:
    return ApiKeys.parse(text)


def _origins(ctx: RouteContext) -> tuple[str, ...]:
    return tuple(str(o).rstrip("/") for o in ctx.settings.get("API_CORS_ORIGINS") or ())


def _cors(request: web.Request, ctx: RouteContext) -> dict[str, str]:
    """CORS headers for an allowed Origin; none without one; ApiError for another."""
    origin = request.headers.get("Origin")
    if origin is None:
        return {}
    if origin.rstrip("/") not in _origins(ctx):
        raise ApiError(403, "origin_not_allowed", f"origin {origin} is not allowed")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Expose-Headers": EXPOSED_HEADERS}


def _presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-Api-Key") or None


def caller_of(request: web.Request, ctx: RouteContext) -> Caller:
    key = _presented_key(request)
    if key is None:
        raise ApiError(401, "unauthorized", "send the app's API key as 'Authorization: Bearer KEY'")
    client = _keys(str(ctx.settings.get("API_KEYS") or "")).client_of(key)
    if client is None:
        raise ApiError(401, "unauthorized", "this API key is not valid (revoked or mistyped)")
    raw = request.headers.get("X-Customer-Id", "")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < MAX_USER_ID:
        raise ApiError(400, "customer_required",
                       "send the customer's Telegram user id in X-Customer-Id (a positive integer)")
    return Caller(client, int(raw))


Endpoint = Callable[[web.Request, RouteContext, Caller], Awaitable[web.StreamResponse]]
Route = Callable[[web.Request, RouteContext], Awaitable[web.StreamResponse]]


def endpoint(handler: Endpoint) -> Route:
    """CORS, the key and the customer checked before ``handler``; its ApiError as JSON."""

    @functools.wraps(handler)
    async def route(request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        headers: Mapping[str, str] = {}
        try:
            headers = _cors(request, ctx)
            response = await handler(request, ctx, caller_of(request, ctx))
        except ApiError as exc:
            response = error(exc.status, exc.code, str(exc), **exc.extra)
            response.headers.update(exc.headers)
        response.headers.update(headers)
        return response

    return route


async def preflight(request: web.Request, ctx: RouteContext) -> web.StreamResponse:
    """A browser's CORS preflight: allowed for the configured origins only."""
    try:
        headers = _cors(request, ctx)
    except ApiError as exc:
        return error(exc.status, exc.code, str(exc))
    if not headers:
        return error(400, "not_a_preflight", "a CORS preflight carries an Origin header")
    headers.update({"Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600"})
    return web.Response(status=204, headers=headers)
