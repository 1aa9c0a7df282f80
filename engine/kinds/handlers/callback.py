"""``callback: take``: a click on a side message's button (``messages:``) naming it; the
button's ``args`` are the handler's declared arguments, in the callback data."""

from __future__ import annotations

from typing import Any

from aiogram import F

from engine.handler_args import CallbackCodec, declared
from engine.scenario.kinds import HandlerKind, HandlerLinking
from engine.scenario.walk import YamlPath

__all__ = ["CallbackTrigger"]


class CallbackTrigger(HandlerKind):
    key = "callback"
    callback = True
    event = "callback_query"

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        if ":" in self.value(handler):
            lk.err((*path, "callback"), "invalid-id", "a callback name cannot contain ':'")

    def filters(self, handler: Any) -> list[Any]:
        """Callback data of this handler's buttons: ``name`` or ``name:arg:...`` (the arguments
        are decoded, or refused, by the runtime with the same codec)."""
        codec = CallbackCodec(self.value(handler), declared(handler.args))
        return [F.data.func(codec.matches)]
