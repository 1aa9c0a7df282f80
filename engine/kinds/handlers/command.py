"""``command: start``: a ``/start`` message; its words are the handler's ``args``."""

from __future__ import annotations

import re
from typing import Any

from aiogram.filters import Command

from engine.scenario.kinds import HandlerKind, HandlerLinking
from engine.scenario.walk import YamlPath

__all__ = ["CommandTrigger"]

_COMMAND = r"^[a-z0-9_]{1,32}$"  # compiled by re on first use


class CommandTrigger(HandlerKind):
    key = "command"
    words = True

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        command = self.value(handler)
        if not re.match(_COMMAND, command):
            lk.err((*path, "command"), "invalid-command",
                   f"command '{command}' must be 1-32 lowercase letters, digits "
                   "or '_' (without '/')")

    def command_name(self, handler: Any) -> str | None:
        return str(self.value(handler))

    def label(self, handler: Any) -> str:
        return f"/{self.value(handler)}"

    def filters(self, handler: Any) -> list[Any]:
        return [Command(self.value(handler))]
