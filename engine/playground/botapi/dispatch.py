"""The one entry point for Bot API calls, shared by the HTTP server and the in-process session.

Order: token (401) -> method name (404) -> schema validation (400) -> scripted faults -> handler
(limits, then world changes). Every call is recorded as an :class:`ApiCall`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import media, methods, service
from .context import Handler, MethodCall
from .errors import ApiError
from .records import ApiCall, JsonDict
from .uploads import Upload
from .validation import ParamValidator
from .world import World

logger = logging.getLogger(__name__)

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {**methods.HANDLERS, **media.HANDLERS, **service.HANDLERS}
)


@dataclass(frozen=True, slots=True)
class ApiReply:
    """HTTP status and JSON body of a Bot API reply."""

    status: int
    body: JsonDict


def summarise(value: Any) -> Any:
    """Parameters as recorded: uploads replaced by a short description."""
    if isinstance(value, Upload):
        return value.describe()
    if isinstance(value, Mapping):
        return {k: summarise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [summarise(v) for v in value]
    return value


async def dispatch(
    world: World,
    token: str,
    method: str,
    fields: Mapping[str, Any],
    files: Mapping[str, Upload] | None = None,
    *,
    handlers: Mapping[str, Handler] = HANDLERS,
) -> ApiReply:
    """Run one Bot API call against ``world`` and build the reply."""
    uploads: Mapping[str, Upload] = files or {}
    name = method
    params: dict[str, Any] = dict(fields)
    try:
        bot = world.bots.get(token)
        if bot is None:
            raise ApiError(401, "Unauthorized")
        spec, params = ParamValidator(world.schema).validate(method, fields, uploads)
        name = spec.name
        fault = world.take_fault(name, params.get("chat_id"))
        if fault is not None:
            world.record_call(ApiCall(name, summarise(params), False, fault.description,
                                      fault.status, token, scripted=True))
            return ApiReply(fault.status,
                            ApiError(fault.status, fault.description, fault.retry_after).to_json())
        handler = handlers.get(name)
        if handler is None:
            raise ApiError(501, f"Not Implemented: method {name} is not emulated")
        result = await handler(MethodCall(world, bot, name, params, uploads))
    except ApiError as exc:
        world.record_call(
            ApiCall(name, summarise(params), False, exc.description, exc.status, token)
        )
        return ApiReply(exc.status, exc.to_json())
    except Exception as exc:
        logger.exception("emulated %s failed", name)
        description = f"Internal Server Error: {type(exc).__name__}: {exc}"
        world.record_call(ApiCall(name, summarise(params), False, description, 500, token))
        return ApiReply(500, ApiError(500, description).to_json())
    world.record_call(ApiCall(name, summarise(params), True, None, None, token, result))
    return ApiReply(200, {"ok": True, "result": result})
