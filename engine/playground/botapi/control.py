"""The ``/_emu/`` JSON control API: what a web chat (or a script) needs to play the users.

Routes (bodies and replies are JSON; replies are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}`` with status 400):

* ``GET  /_emu/state`` - bots, users and chats
* ``GET  /_emu/chats?bot=TOKEN`` - chats (of one bot)
* ``GET  /_emu/chats/{chat_id}/messages?bot=TOKEN`` - messages of a chat, with keyboards
* ``GET  /_emu/calls?since=N`` - recorded Bot API calls from index N
* ``POST /_emu/users`` ``{first_name, last_name?, username?, language_code?, user_id?}``
* ``POST /_emu/groups`` ``{title, member_ids, bot_tokens, supergroup?, username?}``
* ``POST /_emu/send_text`` ``{bot, chat_id, user_id, text, reply_to?}``
* ``POST /_emu/click`` ``{bot, chat_id, user_id, message_id, callback_data}``
* ``POST /_emu/contact`` ``{bot, chat_id, user_id, phone_number, first_name?, contact_user_id?}``
* ``POST /_emu/location`` ``{bot, chat_id, user_id, latitude, longitude}``
* ``POST /_emu/document`` ``{bot, chat_id, user_id, file_name, data_base64, mime_type?, caption?}``
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .emulator import BotApiEmulator
from .errors import EmulatorError
from .records import Button, Chat, ChatMessage, JsonDict

EmuHandler = Callable[[BotApiEmulator, dict[str, Any], web.Request], Any]


def button_view(button: Button) -> JsonDict:
    return {"text": button.text, "kind": button.kind, "value": button.value}


def message_view(message: ChatMessage) -> JsonDict:
    """The Bot API JSON of a message plus what a chat UI needs to draw it."""
    return {
        **message.to_json(),
        "from_bot": message.from_bot,
        "deleted": message.deleted,
        "keyboard_kind": message.keyboard_kind,
        "keyboard": [[button_view(b) for b in row] for row in message.buttons],
    }


def chat_view(world: BotApiEmulator, chat: Chat) -> JsonDict:
    keyboard = world.reply_keyboard(chat)
    return {
        **chat.to_json(),
        "bot_id": chat.bot_id,
        "members": {str(k): v for k, v in chat.members.items()},
        "blocked": chat.blocked,
        "message_count": len(world.messages(chat)),
        "reply_keyboard": None
        if keyboard is None
        else [[button_view(b) for b in row] for row in keyboard],
    }


def _int(body: dict[str, Any], key: str) -> int:
    try:
        return int(body[key])
    except (KeyError, TypeError, ValueError):
        raise EmulatorError(f"{key!r} must be an integer") from None


def _target(world: BotApiEmulator, body: dict[str, Any]) -> tuple[str, Chat, int]:
    token = str(body.get("bot", ""))
    chat = world.chat(token, _int(body, "chat_id"))
    return token, chat, _int(body, "user_id")


def _state(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    return {
        "bots": [{"token": b.token, **b.user.to_json()} for b in world.bots.values()],
        "users": [u.to_json() for u in world.users.values()],
        "chats": [chat_view(world, c) for c in world.chats()],
    }


def _chats(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    bot = request.query.get("bot")
    return [chat_view(world, c) for c in world.chats(bot)]


def _messages(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token = request.query.get("bot", "")
    chat = world.chat(token, int(request.match_info["chat_id"]))
    return [message_view(m) for m in world.messages(chat)]


def _calls(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    since = int(request.query.get("since", "0"))
    return [
        {
            "index": since + i,
            "method": c.method,
            "params": c.params,
            "ok": c.ok,
            "error_code": c.error_code,
            "error_description": c.error_description,
        }
        for i, c in enumerate(world.calls[since:])
    ]


def _users(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    user = world.add_user(
        str(body.get("first_name", "User")),
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code", "en"),
        user_id=body.get("user_id"),
    )
    return user.to_json()


def _groups(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    chat = world.create_group(
        str(body.get("title", "Group")),
        members=[int(i) for i in body.get("member_ids", [])],
        bots=[str(t) for t in body.get("bot_tokens", [])],
        supergroup=bool(body.get("supergroup", True)),
        username=body.get("username"),
    )
    return chat_view(world, chat)


def _send_text(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token, chat, user = _target(world, body)
    reply_to = body.get("reply_to")
    return world.send_text(
        token, chat, user, str(body.get("text", "")), None if reply_to is None else int(reply_to)
    )


def _click(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token, chat, user = _target(world, body)
    return world.click(token, chat, user, _int(body, "message_id"), str(body["callback_data"]))


def _contact(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token, chat, user = _target(world, body)
    contact_user = body.get("contact_user_id")
    return world.share_contact(
        token,
        chat,
        user,
        str(body["phone_number"]),
        first_name=body.get("first_name"),
        contact_user_id=None if contact_user is None else int(contact_user),
    )


def _location(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token, chat, user = _target(world, body)
    return world.send_location(token, chat, user, float(body["latitude"]), float(body["longitude"]))


def _document(world: BotApiEmulator, body: dict[str, Any], request: web.Request) -> Any:
    token, chat, user = _target(world, body)
    try:
        data = base64.b64decode(str(body["data_base64"]), validate=True)
    except (KeyError, binascii.Error):
        raise EmulatorError("data_base64 must hold the file's bytes in base64") from None
    return world.send_document(
        token,
        chat,
        user,
        data,
        str(body.get("file_name", "file.bin")),
        mime_type=body.get("mime_type"),
        caption=body.get("caption"),
    )


def _wrap(
    world: BotApiEmulator, handler: EmuHandler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def route(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                loaded = await request.json()
            except ValueError:
                return web.json_response({"ok": False, "error": "body must be JSON"}, status=400)
            if not isinstance(loaded, dict):
                return web.json_response(
                    {"ok": False, "error": "body must be an object"}, status=400
                )
            body = loaded
        try:
            result = handler(world, body, request)
        except (EmulatorError, KeyError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return route


def add_control_routes(app: web.Application, world: BotApiEmulator) -> None:
    """Register the ``/_emu/`` routes for ``world`` on ``app``."""
    get_routes: dict[str, EmuHandler] = {
        "/_emu/state": _state,
        "/_emu/chats": _chats,
        "/_emu/chats/{chat_id}/messages": _messages,
        "/_emu/calls": _calls,
    }
    post_routes: dict[str, EmuHandler] = {
        "/_emu/users": _users,
        "/_emu/groups": _groups,
        "/_emu/send_text": _send_text,
        "/_emu/click": _click,
        "/_emu/contact": _contact,
        "/_emu/location": _location,
        "/_emu/document": _document,
    }
    for path, handler in get_routes.items():
        app.router.add_get(path, _wrap(world, handler))
    for path, handler in post_routes.items():
        app.router.add_post(path, _wrap(world, handler))
