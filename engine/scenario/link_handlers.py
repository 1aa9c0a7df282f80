"""Link checks outside dialogs: handlers, side messages, jobs, and the /start every bot answers.

A private-chat bot is first reached by ``/start`` (Telegram's Start button sends it), so a
scenario without a handler that answers it in a private chat is an error: the bot would never
answer a new user. Units the schema refused (see :mod:`engine.scenario.salvage`) are skipped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from engine import handler_args
from engine.diagnostics import did_you_mean
from engine.scenario import schema as s
from engine.scenario.salvage import is_under
from engine.scenario.walk import YamlPath

if TYPE_CHECKING:
    from engine.scenario.linker import _Linker

__all__ = ["CALLBACK_LIMIT", "ITEM_ID_BYTES", "check_handlers", "check_messages", "check_start"]

CALLBACK_LIMIT = handler_args.CALLBACK_LIMIT
ITEM_ID_BYTES = handler_args.INT_BYTES  # assumed upper bound of a list item's id


def check_handlers(lk: _Linker) -> None:
    for index, handler in enumerate(lk.sc.handlers):
        path: YamlPath = ("handlers", index)
        if is_under(path, lk.broken):
            continue
        handler.kind.link(lk, handler, path)  # the trigger's own checks: engine/kinds/handlers
        check_declared_args(lk, handler, path)
        if isinstance(handler.args, str):
            try:
                re.compile(handler.args)
            except re.error as exc:
                lk.err((*path, "args"), "invalid-regex", f"invalid regular expression: {exc}")
        if handler.go is not None:
            lk.check_target(handler.go, None, (*path, "go"))
        if handler.reply is not None:
            lk.need_template(handler.reply, (*path, "reply"))
        if handler.go is None and handler.action is None and handler.reply is None:
            lk.err(path, "dead-handler", "a handler needs 'go', 'reply' or 'action'")
        for reason, label in handler.refuse.items():
            if reason not in s.REFUSAL_REASONS:
                lk.err((*path, "refuse", reason), "unknown-reason",
                       f"unknown refusal reason '{reason}'"
                       f"{did_you_mean(reason, s.REFUSAL_REASONS)}", key=True)
                continue
            lk.need_label(label, (*path, "refuse", reason))
    for name in lk.sc.jobs:
        lk.check_id(name, ("jobs", name), "job")


def check_declared_args(lk: _Linker, handler: s.HandlerSpec, path: YamlPath) -> None:
    """``args: {name: type}``: known types, ``text`` last and for commands only; a callback's
    arguments are named (a regex is for commands)."""
    words = handler.kind.words  # a command's: its arguments are the message's words
    if isinstance(handler.args, str):
        if not words:
            lk.err((*path, "args"), "regex-args",
                   "only a command's arguments may be a regex; declare them by name and type",
                   "e.g. 'args: {ticket_id: int}'")
        return
    names = list(handler.args or {})
    for index, (name, text) in enumerate((handler.args or {}).items()):
        apath: YamlPath = (*path, "args", name)
        lk.check_id(name, apath, "argument")
        try:
            kind = handler_args.ArgType.parse(text)
        except ValueError:
            lk.err(apath, "unknown-type", f"unknown argument type '{text}'"
                   f"{did_you_mean(text, handler_args.ARG_TYPES)}",
                   "types: " + ", ".join(handler_args.ARG_TYPES))
            continue
        if kind.kind == "text" and (not words or index != len(names) - 1):
            lk.err(apath, "unknown-type", "'text' (the rest of the line) is for a command's "
                   "last argument", "use 'str'")
    if handler.args and not words and not handler.kind.callback:
        lk.err((*path, "args"), "unused-args",
               "only a command or a callback has arguments", key=True)


def _declared(handler: s.HandlerSpec) -> dict[str, handler_args.ArgType | None]:
    """A callback handler's arguments and their types (None: unknown, reported elsewhere)."""
    found: dict[str, handler_args.ArgType | None] = {}
    for name, text in (handler.args if isinstance(handler.args, dict) else {}).items():
        found[name] = handler_args.ArgType.parse(text) if text in handler_args.ARG_TYPES \
            else None
    return found


def _check_button_args(lk: _Linker, button: s.MessageButton, bpath: YamlPath,
                       declared: dict[str, handler_args.ArgType | None]) -> None:
    """A button sends exactly the arguments its handler declares, and fits in 64 bytes."""
    for name in button.args:
        if name not in declared:
            lk.err((*bpath, "args", name), "unknown-argument",
                   f"callback '{button.callback}' has no argument '{name}'"
                   f"{did_you_mean(name, declared)}",
                   "its handler declares: " + (", ".join(declared) or "none"), key=True)
    missing = [name for name in declared if name not in button.args]
    if missing:
        lk.err(bpath, "missing-argument",
               f"callback '{button.callback}' needs argument(s) {', '.join(missing)}",
               "add them to the button's 'args:'")
    size = len((button.callback or "").encode())
    for name, kind in declared.items():
        value = button.args.get(name, "")
        if "{{" not in value:
            size += 1 + len(handler_args.escape(value).encode())
        else:  # an int can reach 20 bytes; a text is checked when the message is sent
            size += 1 + (handler_args.INT_BYTES if kind is not None and kind.kind == "int" else 0)
    if size > CALLBACK_LIMIT:
        lk.err(bpath, "callback-too-long",
               f"callback data can reach {size} bytes (limit {CALLBACK_LIMIT})")


def check_messages(lk: _Linker) -> None:
    callbacks = {h.callback_name for i, h in enumerate(lk.sc.handlers)
                 if h.callback_name and not is_under(("handlers", i), lk.broken)}
    declared = {h.callback_name: _declared(h) for h in reversed(lk.sc.handlers)
                if h.callback_name}
    callbacks |= lk.loose.get("callback", frozenset())
    for name, message in lk.sc.messages.items():
        mpath: YamlPath = ("messages", name)
        if is_under(mpath, lk.broken):
            continue
        lk.need_template(message.text, (*mpath, "text"))
        for r, row in enumerate(message.buttons):
            for c, button in enumerate(row):
                bpath: YamlPath = (*mpath, "buttons", r, c)
                lk.need_label(button.label, (*bpath, "label"))
                if button.callback is None:
                    continue
                if button.callback not in callbacks and ("handlers",) not in lk.broken:
                    lk.err((*bpath, "callback"), "unknown-callback",
                           f"no handler takes callback '{button.callback}'"
                           f"{did_you_mean(button.callback, callbacks)}")
                if button.callback in declared:
                    _check_button_args(lk, button, bpath, declared[button.callback])


def _answers_start(handler: s.HandlerSpec) -> bool:
    """``/start`` in a private chat; a misspelt ``/Start`` has its own error already."""
    command = (handler.kind.command_name(handler) or "").lstrip("/").lower()
    return command == "start" and handler.chat != "group"


def check_start(lk: _Linker) -> None:
    """A private-chat bot must answer /start (unless a refused handler may be the one)."""
    if any(_answers_start(h) for h in lk.sc.handlers):
        return
    if any(unit[0] == "handlers" or unit[0] not in s.Scenario.model_fields
           for unit in lk.broken):
        return
    message = "no handler answers /start in a private chat: the bot never answers a new user"
    key = lk.loaded.positions.key(("handlers",))
    if key is not None:
        lk.out.error(key.file, key.line, key.col, "missing-start", message,
                     "add '- {command: start, go: menu}' to 'handlers:'")
    else:  # no handlers at all: the top of the file
        lk.out.error(lk.loaded.file, 1, 1, "missing-start", message,
                     "add 'handlers: [{command: start, go: menu}]'")
