"""The playground's HTTP face: the page (``static/``) and its JSON API (``API.md``).

Every reply is ``{"ok": true, "result": ...}``, or a 4xx ``{"ok": false, "error": "one line"}``
for a request the playground cannot carry out; nothing a request holds reaches a traceback page.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from engine.errors import EngineError
from engine.playground.botapi import Chat
from engine.playground.web import views
from engine.playground.web.hub import Hub, NotFound, PlaygroundError
from engine.playground.web.live import LiveBot
from engine.testing import visible

__all__ = ["HUB_KEY", "MAX_BODY", "STATIC", "make_app"]

log = logging.getLogger("engine.playground")
STATIC = Path(__file__).resolve().parent / "static"
HUB_KEY: web.AppKey[Hub] = web.AppKey("hub", Hub)
MAX_BODY = 30 * 1024 * 1024  # a 20 MB document in base64, with room to spare
MAX_FILE = 20 * 1024 * 1024
TEXT_LIMIT = 4096
_DURATION = re.compile(r"\s*(\d{1,6})\s*([smhd])\s*")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_ADVANCE = timedelta(days=30)
JsonHandler = Callable[[Hub, web.Request, dict[str, Any]], Awaitable[Any]]


class BadRequest(PlaygroundError):
    """The request itself is malformed (a missing or mistyped field)."""


def _int(body: dict[str, Any], key: str, *, optional: bool = False) -> int | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(f"{key!r} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{key!r} must be an integer, not {value!r}") from None


def _req_int(body: dict[str, Any], key: str) -> int:
    value = _int(body, key)
    assert value is not None
    return value


def _str(body: dict[str, Any], key: str, *, optional: bool = False, limit: int = TEXT_LIMIT) -> str:
    value = body.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{key!r} is longer than {limit} characters")
    return value


def _float(body: dict[str, Any], key: str, low: float, high: float) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRequest(f"{key!r} must be a number")
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"{key!r} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"{key!r} must be between {low:g} and {high:g}")
    return number


def parse_advance(text: str) -> timedelta:
    """``90s``, ``20m``, ``2h``, ``1d`` (at most 30 days)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise BadRequest(f"advance must be like 90s, 20m, 2h or 1d, not {text!r}")
    delta = timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])
    if delta > MAX_ADVANCE:
        raise BadRequest("time moves at most 30 days at once")
    return delta


# ---------------------------------------------------------------------- reading

async def get_state(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    return views.state(hub)


async def get_messages(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    bot = hub.bot(request.match_info["bot"])
    chat_id = _req_int(dict(request.match_info), "chat")
    try:
        chat = hub.emulator.chat(bot.account, chat_id)
    except Exception:
        raise NotFound(f"the bot {bot.name} has no chat {chat_id}") from None
    return views.messages(hub, bot, chat)


async def get_calls(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    bot = hub.bot(request.match_info["bot"])
    since = _int(dict(request.query), "since", optional=True) or 0
    return views.calls(hub, bot, max(since, 0))


async def get_sandbox(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    return await views.sandbox_panels(hub.bot(request.match_info["bot"]))


async def get_graph(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    return await views.graph(hub.bot(request.match_info["bot"]))


async def get_reload(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    return {"diagnostics": [{"file": d.file, "line": d.line, "col": d.col, "code": d.code,
                             "message": d.message, "hint": d.hint} for d in hub.diagnostics()],
            "restart_needed": list(hub.restart_needed)}


# ---------------------------------------------------------------------- acting

async def post_action(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    bot = hub.bot(request.match_info["bot"])
    what = request.match_info["action"]
    user_id = _req_int(body, "user_id")
    chat = hub.chat(bot, _int(body, "chat_id", optional=True), user_id)
    emu = hub.emulator
    result: dict[str, Any] = {"chat_id": chat.id}
    step: tuple[str, Any]
    if what == "send":
        text = _str(body, "text")
        reply_to = _int(body, "reply_to", optional=True)
        keys = [b.text for row in emu.reply_keyboard(chat) or [] for b in row]
        step = ("press", visible(text)) if text in keys else ("send", text)
        await hub.act(bot, lambda: emu.send_text(bot.account, chat, user_id, text, reply_to))
    elif what == "click":
        message_id, data = _req_int(body, "message_id"), _str(body, "callback_data", limit=64)
        message = chat.get(message_id)
        labels = [b.text for row in message.inline_buttons for b in row
                  if b.callback_data == data] if message is not None else []
        step = ("click", labels[0] if labels else data)
        result["answer"] = await hub.click(bot, chat, user_id, message_id, data)
    elif what == "contact":
        phone = _str(body, "phone_number", limit=32).strip()
        if not phone:
            raise BadRequest("'phone_number' must not be empty")
        of = _int(body, "contact_user_id", optional=True)
        name = _str(body, "first_name", optional=True, limit=64) or None
        step = ("share_contact", phone if of is None or of == user_id else
                {"phone": phone, "user": name or hub.person(of).account.first_name})
        await hub.act(bot, lambda: emu.share_contact(bot.account, chat, user_id, phone,
                                                     first_name=name, contact_user_id=of))
    elif what == "location":
        latitude = _float(body, "latitude", -90, 90)
        longitude = _float(body, "longitude", -180, 180)
        step = ("send_location", [latitude, longitude])
        await hub.act(bot, lambda: emu.send_location(bot.account, chat, user_id, latitude,
                                                     longitude))
    elif what == "document":
        step = ("send_document", await _document(hub, body, bot, chat, user_id))
    else:
        raise web.HTTPNotFound()
    hub.record(bot, step[0], step[1], user_id, chat)
    return result


async def _document(hub: Hub, body: dict[str, Any], bot: LiveBot, chat: Chat,
                    user_id: int) -> Any:
    """Send the uploaded file; the ``send_document`` value a recorded test gets."""
    name = _str(body, "file_name", limit=255).strip() or "file.bin"
    mime = _str(body, "mime_type", optional=True, limit=255) or None
    caption = _str(body, "caption", optional=True, limit=1024) or None
    reply_to = _int(body, "reply_to", optional=True)
    try:
        data = base64.b64decode(_str(body, "data_base64", limit=MAX_BODY), validate=True)
    except binascii.Error:
        raise BadRequest("'data_base64' must hold the file's bytes in base64") from None
    if len(data) > MAX_FILE:
        raise BadRequest("the playground takes files up to 20 MB")
    await hub.act(bot, lambda: hub.emulator.send_document(
        bot.account, chat, user_id, data, name, mime_type=mime, caption=caption,
        reply_to=reply_to))
    return {"file": name, "caption": caption} if caption else name


async def get_recording(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    bot = hub.bot(request.match_info["bot"])
    recorder = hub.recorders[bot.name]
    scenario = bot.bundle.scenario
    return {"yaml": recorder.to_yaml(scenario.scenario, scenario.default_locale),
            "steps": len(recorder.steps), "file_name": f"{bot.name}_playground.yaml"}


async def post_recording_clear(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    hub.recorders[hub.bot(request.match_info["bot"]).name].clear()
    return {"steps": 0}


async def post_people(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    language = _str(body, "language_code", optional=True, limit=8) or None
    person = hub.add_person(_str(body, "first_name", limit=64), language)
    return {"id": person.account.id, "first_name": person.account.first_name,
            "language_code": person.account.language_code, "phone": person.phone}


async def post_person(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    person = hub.person(_req_int(dict(request.match_info), "id"))
    if "language_code" in body:
        language = _str(body, "language_code", limit=8).strip()
        if not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2})?", language):
            raise BadRequest("'language_code' must be a language code like ru, uz or en")
        person.account.language_code = language
    if "phone" in body:
        phone = _str(body, "phone", limit=32).strip()
        if not re.fullmatch(r"\+?\d{7,15}", phone):
            raise BadRequest("'phone' must be 7 to 15 digits, optionally after a +")
        person.phone = phone
    return {"id": person.account.id, "language_code": person.account.language_code,
            "phone": person.phone}


async def post_time(hub: Hub, request: web.Request, body: dict[str, Any]) -> Any:
    bot = hub.bot(_str(body, "bot", limit=64))
    delta = parse_advance(_str(body, "advance", limit=16))
    ran = await hub.advance(bot, delta)
    what = ", ".join(ran) if ran else "no background job was due"
    return {"summary": f"moved {body['advance'].strip()}: {what}", "ran": ran}


# ---------------------------------------------------------------------- files and the page

async def get_file(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    stored = hub.emulator.files.get(request.match_info["file_id"])
    if stored is None or stored.data is None:
        return _error(404, "no such file")
    kind = stored.mime_type or ("image/jpeg" if stored.kind == "photo" else
                                "application/octet-stream")
    headers = {"X-Content-Type-Options": "nosniff"}
    if stored.file_name:
        safe = re.sub(r'[^\w.\- ]', "_", stored.file_name)
        headers["Content-Disposition"] = f'inline; filename="{safe}"'
    return web.Response(body=stored.data, content_type=kind, headers=headers)


async def get_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def _static(asset: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve_file(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(asset, headers={"Cache-Control": "no-cache"})
    return serve_file


async def _unknown(request: web.Request) -> web.StreamResponse:
    return _error(404, f"no such API path: {request.method} {request.path}")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _json_route(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def route(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:  # an empty body is {}
            try:
                loaded = await request.json()
            except ValueError:
                return _error(400, "the body must be JSON")
            if not isinstance(loaded, dict):
                return _error(400, "the body must be a JSON object")
            body = loaded
        try:
            result = await handler(request.app[HUB_KEY], request, body)
        except PlaygroundError as exc:
            return _error(404 if isinstance(exc, NotFound) else 400, str(exc))
        except views.GraphUnavailable as exc:
            return _error(503, str(exc))
        except EngineError as exc:
            return _error(400, str(exc))
        return web.json_response({"ok": True, "result": result})

    return route


@web.middleware
async def _errors(request: web.Request,
                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                  ) -> web.StreamResponse:
    """HTTP errors as one JSON line; an unexpected failure is logged, never shown as a
    traceback page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        message = "request body too large" if exc.status == 413 else exc.reason
        return _error(exc.status, message)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _error(500, "the playground failed on this request (its log has the details)")


def make_app(hub: Hub) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_errors, hub.routes.middleware])
    app[HUB_KEY] = hub
    gets: dict[str, JsonHandler] = {
        "/api/state": get_state,
        "/api/bots/{bot}/chats/{chat}/messages": get_messages,
        "/api/bots/{bot}/calls": get_calls,
        "/api/bots/{bot}/sandbox": get_sandbox,
        "/api/bots/{bot}/graph": get_graph,
        "/api/reload": get_reload,
        "/api/bots/{bot}/recording": get_recording,
    }
    posts: dict[str, JsonHandler] = {
        "/api/bots/{bot}/{action:send|click|contact|location|document}": post_action,
        "/api/people": post_people,
        "/api/people/{id}": post_person,
        "/api/time": post_time,
        "/api/bots/{bot}/recording/clear": post_recording_clear,
    }
    for path, handler in gets.items():
        app.router.add_get(path, _json_route(handler))
    for path, handler in posts.items():
        app.router.add_post(path, _json_route(handler))
    app.router.add_get("/api/files/{file_id}", get_file)
    for bot in hub.bots.values():  # what the packages serve beside the page (an admin panel)
        for method, path, served in bot.sandbox.routes:
            app.router.add_route(method, path, served)
    app.router.add_route("*", r"/api/{tail:(?!v\d).*}", _unknown)  # /api/v1: the packages'
    app.router.add_get("/", get_index)
    for asset in STATIC.iterdir():  # by name: other paths fall through to the bots' packages
        app.router.add_get(f"/{asset.name}", _static(asset))
    return app
