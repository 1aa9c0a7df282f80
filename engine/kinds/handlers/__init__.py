"""The built-in handler trigger kinds, one module each (see "How to add a node kind" in the
README): the keys a ``handlers:`` entry is triggered by."""

from __future__ import annotations

from engine.kinds.handlers.callback import CallbackTrigger
from engine.kinds.handlers.command import CommandTrigger
from engine.kinds.handlers.fallback import FallbackTrigger
from engine.kinds.handlers.reply_to import ReplyToTrigger
from engine.kinds.handlers.text import TextTrigger

__all__ = ["BUILTIN_HANDLERS"]

#: in the order "a handler needs exactly one of ..." names them
BUILTIN_HANDLERS = (CommandTrigger, TextTrigger, CallbackTrigger, ReplyToTrigger,
                    FallbackTrigger)
