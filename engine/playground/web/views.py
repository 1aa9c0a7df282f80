"""What the page reads, as JSON values (the shapes are in ../web/API.md): the bots, people and
chats; a chat's messages; the Bot API calls; the sandboxes' panels; the flow graph."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from typing import Any

from aiogram.fsm.storage.memory import MemoryStorage

from engine.errors import EngineError
from engine.playground.botapi import BotAccount, Chat
from engine.playground.botapi.control import button_view, chat_view, message_view
from engine.playground.web.hub import Hub
from engine.playground.web.live import LiveBot
from engine.scenario.graph import reachable_windows, to_dot

__all__ = ["GraphUnavailable", "calls", "graph", "messages", "sandbox_panels", "state", "where_people_are"]

JsonDict = dict[str, Any]
_PRIVATE_SCOPE = json.dumps({"type": "all_private_chats"}, sort_keys=True)
_DEFAULT_SCOPE = json.dumps({"type": "default"}, sort_keys=True)
_UNREACHABLE = 'color="#c0392b", fontcolor="#c0392b", style=dashed, tooltip="unreachable"'


class GraphUnavailable(EngineError):
    """Graphviz is not installed, or could not draw the graph."""


def _commands(account: BotAccount) -> dict[str, list[JsonDict]]:
    """The private-chat command menu per language (``""``: the default one)."""
    menus: dict[str, list[JsonDict]] = {}
    for key, commands in account.commands.items():
        scope, _, language = key.rpartition("|")
        if scope == _PRIVATE_SCOPE or (scope == _DEFAULT_SCOPE and language not in menus):
            menus[language] = list(commands)
    return menus


def _chat(hub: Hub, bot: LiveBot, chat: Chat) -> JsonDict:
    view = chat_view(hub.emulator, chat)
    members = [int(m) for m in chat.members if int(m) in hub.people]
    title = chat.title if chat.type != "private" else None
    return {"id": chat.id, "bot": bot.name, "type": chat.type, "title": title, "members": members,
            "reply_keyboard": view["reply_keyboard"]}


def state(hub: Hub) -> JsonDict:
    bots = [{"name": b.name, "title": b.title, "username": b.account.username,
             "commands": _commands(b.account), "version": b.version, "notes": b.notes}
            for b in hub.bots.values()]
    for user in hub.emulator.users.values():
        if not user.is_bot:
            hub.person(user.id)  # adopt people a sandbox made since
    people = [{"id": p.account.id, "first_name": p.account.first_name,
               "language_code": p.account.language_code, "phone": p.phone}
              for p in hub.people.values()]
    chats = [_chat(hub, b, c) for b in hub.bots.values() for c in hub.emulator.chats(b.account)]
    return {"bots": bots, "people": people, "chats": chats}


def messages(hub: Hub, bot: LiveBot, chat: Chat) -> JsonDict:
    keyboard = hub.emulator.reply_keyboard(chat)
    return {"messages": [message_view(m) for m in hub.emulator.messages(chat)],
            "reply_keyboard": None if keyboard is None
            else [[button_view(b) for b in row] for row in keyboard]}


def calls(hub: Hub, bot: LiveBot, since: int) -> list[JsonDict]:
    """This bot's Bot API calls from its ``since``-th on (polling and webhooks left out)."""
    own = [c for c in hub.emulator.calls if c.token == bot.account.token]
    return [{"index": since + i, "method": c.method, "params": c.params, "ok": c.ok,
             "error_code": c.error_code, "error_description": c.error_description}
            for i, c in enumerate(own[since:])]


async def sandbox_panels(bot: LiveBot) -> list[JsonDict]:
    panels: list[JsonDict] = []
    for name, panel in bot.sandbox.panels.items():
        rows = await panel.rows()
        entry: JsonDict = {"name": name, "title": panel.title, "rows": rows}
        if panel.columns:
            entry["columns"] = list(panel.columns)
        panels.append(entry)
    return panels


def where_people_are(bot: LiveBot) -> list[str]:
    """``dialog.window`` of every conversation of this bot (the window each user is on):
    aiogram-dialog keeps a stack of intents per chat and user (destiny ``aiogd:stack:<id>``),
    the state of each in its context (``aiogd:context:<intent>``)."""
    fsm = bot.storage.fsm
    if not isinstance(fsm, MemoryStorage):
        return []
    records = dict(fsm.storage)
    prefix = f"{bot.name}."
    here: set[str] = set()
    for key, record in records.items():
        intents = record.data.get("intents") if key.destiny.startswith("aiogd:stack:") else None
        if key.bot_id != bot.account.id or not intents:
            continue
        context = records.get(replace(key, destiny=f"aiogd:context:{intents[-1]}"))
        state = context.data.get("state") if context is not None else None
        if isinstance(state, str) and state.startswith(prefix) and ":" in state:
            group, _, window = state.partition(":")
            here.add(f"{group.removeprefix(prefix)}.{window}")
    return sorted(here)


async def graph(bot: LiveBot) -> JsonDict:
    """The flow graph as SVG (drawn by Graphviz once per version) and where people are."""
    drawn = bot.graph_svg
    if drawn is None or drawn[0] != bot.version:
        drawn = bot.graph_svg = (bot.version, await _draw(bot))
    svg = drawn[1]
    return {"svg": svg, "here": where_people_are(bot)}


async def _draw(bot: LiveBot) -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise GraphUnavailable("the flow graph is drawn by Graphviz's 'dot', which is not "
                               "installed (apt-get install graphviz)")
    scenario = bot.bundle.scenario
    reachable = reachable_windows(scenario)
    dead = [f"{d}.{w}" for d, dialog in scenario.dialogs.items() for w in dialog.windows
            if (d, w) not in reachable]
    dot = to_dot(scenario).rstrip().removesuffix("}")
    dot += "".join(f'  "{node}" [{_UNREACHABLE}];\n' for node in dead) + "}\n"
    process = await asyncio.create_subprocess_exec(
        binary, "-Tsvg", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate(dot.encode("utf-8"))
    if process.returncode != 0:
        raise GraphUnavailable(f"Graphviz could not draw the graph: "
                               f"{err.decode('utf-8', 'replace').strip()[:300]}")
    return out.decode("utf-8")
