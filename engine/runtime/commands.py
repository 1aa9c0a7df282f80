"""The bot's command menu: ``setMyCommands`` at start-up from the scenario's handlers.

A command is listed when the scenario defines the label ``commands.<name>`` (its description);
private-chat commands go to the private-chat scope, group commands to the group scope, once per
locale (the default locale without a language code, so it is the fallback for everyone). A
refusal is logged and never stops the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from engine.scenario.schema import Scenario
from engine.templates import TemplateStore

__all__ = ["publish_commands"]

log = logging.getLogger("engine.commands")
DESCRIPTION_LIMIT = 256


async def publish_commands(bot: Bot, menu: Mapping[str, Sequence[str]], scenario: Scenario,
                           store: TemplateStore) -> int:
    """Set the command menus (compiled: chat kind -> commands); how many ``setMyCommands``
    calls succeeded."""
    done = 0
    scopes = (("private", BotCommandScopeAllPrivateChats()),
              ("group", BotCommandScopeAllGroupChats()))
    for kind, scope in scopes:
        names = list(menu.get(kind, ()))
        if not names:
            continue
        for locale in scenario.locales:
            commands = [
                BotCommand(command=n, description=store.render_label(
                    f"commands.{n}", locale, {})[:DESCRIPTION_LIMIT])
                for n in names
            ]
            language = None if locale == scenario.default_locale else locale
            try:
                await bot.set_my_commands(commands, scope=scope, language_code=language)
                done += 1
            except TelegramAPIError as exc:
                log.warning("command menu (%s, %s) not set: %s", kind, locale, exc)
    return done
