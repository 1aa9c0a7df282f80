"""``fallback: true``: a message nothing else took (no handler, no dialog waiting for input);
registered after the dialogs."""

from __future__ import annotations

from typing import Any

from engine.scenario.kinds import HandlerKind, HandlerLinking
from engine.scenario.walk import YamlPath

__all__ = ["FallbackTrigger"]


class FallbackTrigger(HandlerKind):
    key = "fallback"
    annotation = bool
    default = False
    mention = "'fallback: true'"
    late = True

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        if handler.chat != "private":
            lk.warn((*path, "chat"), "group-fallback",
                    "a fallback in a group answers every message members write",
                    "managers' groups usually want ordinary chatter ignored")

    def label(self, handler: Any) -> str:
        return "fallback"

    def filters(self, handler: Any) -> list[Any]:
        return []
