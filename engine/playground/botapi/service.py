"""Service methods: getMe, updates and webhooks, commands, chat actions, callback answers,
chat and member information."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .context import Handler, MethodCall
from .errors import ApiError, bad_request
from .limits import check_callback_answer_text, check_chat_action, check_commands
from .records import CallbackAnswer, JsonDict, UserAccount
from .updates import GET_UPDATES_LIMIT_MAX

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
#: setWebhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_REACTIONS = 11
# Required by newer Bot API versions than the committed schema (10.3, which aiogram 3.31 speaks).
NEWER_ADMIN_RIGHTS = ("can_send_welcome_messages",)


async def get_me(call: MethodCall) -> JsonDict:
    return {
        **call.bot.user.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(call: MethodCall) -> list[JsonDict]:
    if call.bot.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    limit = min(max(int(call.params.get("limit", GET_UPDATES_LIMIT_MAX)), 1), 100)
    timeout = max(int(call.params.get("timeout", 0)), 0)
    updates = await call.bot.queue.poll(
        call.params.get("offset"), limit, timeout, call.params.get("allowed_updates")
    )
    return [u.payload for u in updates]


async def set_webhook(call: MethodCall) -> bool:
    url: str = call.params["url"]
    if call.params.get("drop_pending_updates"):
        call.bot.queue.drop_all()
    if not url:
        call.bot.webhook = None
        return True
    plain_http = call.world.allow_http_webhooks and url.startswith("http://")
    if not url.startswith("https://") and not plain_http:
        raise bad_request("bad webhook: HTTPS url must be provided for webhook")
    if not SECRET_TOKEN.fullmatch(str(call.params.get("secret_token", "-"))):
        raise bad_request("secret token contains unallowed characters")
    call.bot.webhook = {k: v for k, v in call.params.items() if k != "certificate"}
    if call.params.get("allowed_updates") is not None:
        call.bot.queue.allowed_updates = list(call.params["allowed_updates"])
    call.world.webhooks.start(call.bot)
    return True


async def delete_webhook(call: MethodCall) -> bool:
    call.bot.webhook = None
    if call.params.get("drop_pending_updates"):
        call.bot.queue.drop_all()
    return True


async def get_webhook_info(call: MethodCall) -> JsonDict:
    hook = call.bot.webhook or {}
    info: JsonDict = {
        "url": hook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.queue.pending),
    }
    for key in ("max_connections", "ip_address", "allowed_updates", "last_error_date",
                "last_error_message"):
        if key in hook:
            info[key] = hook[key]
    return info


async def ok(call: MethodCall) -> bool:
    return True


def _commands_key(call: MethodCall) -> str:
    scope = call.params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(call.params.get("language_code", ""))


async def set_my_commands(call: MethodCall) -> bool:
    commands: list[JsonDict] = call.params["commands"]
    check_commands(commands)
    call.bot.commands[_commands_key(call)] = commands
    return True


async def get_my_commands(call: MethodCall) -> list[JsonDict]:
    return list(call.bot.commands.get(_commands_key(call), []))


async def delete_my_commands(call: MethodCall) -> bool:
    call.bot.commands.pop(_commands_key(call), None)
    return True


async def send_chat_action(call: MethodCall) -> bool:
    chat = call.target_chat()
    check_chat_action(call.params["action"])
    call.world.chat_actions.append((chat.id, call.params["action"]))
    return True


async def answer_callback_query(call: MethodCall) -> bool:
    query = call.world.callback_queries.get(call.params["callback_query_id"])
    if query is None or query.token != call.bot.token or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    text = call.params.get("text")
    check_callback_answer_text(text)
    query.answer = CallbackAnswer(
        query.id,
        text=text,
        show_alert=bool(call.params.get("show_alert", False)),
        url=call.params.get("url"),
        cache_time=call.params.get("cache_time"),
    )
    return True


def _required_defaults(call: MethodCall, type_name: str, truthy: bool = False) -> JsonDict:
    """Fill the required Boolean/Integer fields of a type from the schema."""
    spec = call.world.schema.type(type_name)
    out: JsonDict = {}
    for field in spec.fields.values() if spec else ():
        if not field.required:
            continue
        if field.types == ("Boolean",):
            out[field.name] = (
                truthy and field.name.startswith("can_") and (field.name != "can_be_edited")
            )
        elif field.types == ("Integer",):
            out[field.name] = 0
    return out


async def get_chat(call: MethodCall) -> JsonDict:
    try:
        chat = call.world.resolve_chat(call.bot, call.params["chat_id"])
    except ApiError as exc:
        raise bad_request("chat not found") from exc
    return {
        **chat.to_json(),
        "accent_color_id": 0,
        "max_reaction_count": MAX_REACTIONS,
        "accepted_gift_types": _required_defaults(call, "AcceptedGiftTypes"),
    }


_MEMBER_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}


async def get_chat_member(call: MethodCall) -> JsonDict:
    chat = call.world.resolve_chat(call.bot, call.params["chat_id"])
    account: UserAccount | None = call.world.account_by_id(call.params["user_id"])
    if account is None:
        raise bad_request("user not found")
    status = chat.members.get(account.id, "left")
    type_name = _MEMBER_TYPES.get(status, "ChatMemberMember")
    member: dict[str, Any] = _required_defaults(call, type_name, status == "administrator")
    if status == "administrator":
        member.update(dict.fromkeys(NEWER_ADMIN_RIGHTS, True))
    member.update({"status": status, "user": account.to_json()})
    return member


HANDLERS: Mapping[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "logOut": ok,
    "close": ok,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
}
