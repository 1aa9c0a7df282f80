"""Typed handler arguments: the one codec of callback data, and command text split into values.

A handler declares its arguments by name and type (``args: {ticket_id: int}``); the types are

* ``int``: ASCII digits with an optional ``-`` and nothing else (no spaces, ``+``, ``_``, other
  scripts' digits); the action parameter's annotation then checks its range
  (:mod:`engine.runtime.arguments`);
* ``str``: any text; ``text`` (commands only, last): the rest of the command's line;
* a trailing ``?`` makes one optional: left out (or empty) it is ``None``.

**Callback data** of a side-message button is ``<callback>`` followed by ``:<value>`` for each of
the handler's arguments, in the order the handler declares them (``take:12``), with ``\\`` and
``:`` in values escaped (``\\\\``, ``\\:``). :class:`CallbackCodec` encodes a button's named values
(refusing data over Telegram's 64 bytes with a clear error) and decodes data back into typed
values: a wrong number of parts is ``bad_arguments``, a value not of its type ``bad_value``
(:class:`~engine.errors.ArgumentError` carries the reason; no button sends either: forged).

aiogram's ``CallbackData`` factory is not used: it refuses a separator inside a value instead of
escaping it, decodes integers with pydantic's lax rules (``+1``, `` 1``, ``1_0`` pass), and its
fields are class attributes, where a scenario's callbacks are known only when it is loaded.

**Command text** (the words after ``/command``, or a document's caption) is split on white space
into the declared arguments, in order; a ``text`` argument takes the rest. Anything that does not
fit (a missing, extra or mistyped word) is ``bad_arguments``: the handler explains the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import ArgumentError, FlowError

__all__ = ["ARG_TYPES", "CALLBACK_LIMIT", "INT_BYTES", "ArgType", "CallbackCodec", "declared",
           "escape", "parse_command", "split"]

CALLBACK_LIMIT = 64
"""Telegram's limit of callback data, in bytes."""
INT_BYTES = 20
"""The longest ``int`` value in callback data: a signed 64-bit integer."""
ARG_TYPES = ("int", "int?", "str", "str?", "text", "text?")
SEPARATOR = ":"
ESCAPE = "\\"
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)

Value = int | str | None


@dataclass(frozen=True)
class ArgType:
    """A declared argument type: ``kind`` (int, str, text) and whether it may be left out."""

    kind: str
    optional: bool = False

    @classmethod
    def parse(cls, text: str) -> ArgType:
        if text not in ARG_TYPES:
            raise ValueError(f"unknown argument type {text!r} (types: {', '.join(ARG_TYPES)})")
        return cls(text.rstrip("?"), text.endswith("?"))

    def decode(self, raw: str) -> Value:
        """The value ``raw`` stands for; :class:`ArgumentError` (bad_value) if not of this type."""
        if self.optional and raw == "":
            return None
        if self.kind != "int":
            return raw
        if not _INTEGER.fullmatch(raw):
            raise ArgumentError("not an integer")
        return int(raw)

    def encode(self, value: object) -> str:
        return "" if value is None else str(value)

    def __str__(self) -> str:
        return self.kind + ("?" if self.optional else "")


def escape(value: str) -> str:
    return value.replace(ESCAPE, ESCAPE * 2).replace(SEPARATOR, ESCAPE + SEPARATOR)


def split(data: str) -> list[str]:
    """Callback data's parts, unescaped; :class:`ArgumentError` (bad_arguments) on a dangling
    escape."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(data)
    for char in chars:
        if char == ESCAPE:
            following = next(chars, None)
            if following is None:
                raise ArgumentError("a dangling escape", reason="bad_arguments")
            current.append(following)
        elif char == SEPARATOR:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


class CallbackCodec:
    """The callback data of one handler's buttons: its name and its declared arguments."""

    def __init__(self, name: str, args: Mapping[str, ArgType]) -> None:
        self.name = name
        self.args = dict(args)

    def matches(self, data: str | None) -> bool:
        """Whether ``data`` is meant for this callback (its arguments are checked by decode)."""
        return data is not None and (data == self.name or data.startswith(self.name + SEPARATOR))

    def encode(self, values: Mapping[str, object]) -> str:
        """Callback data for ``values`` (by argument name); a :class:`FlowError` when a value is
        not of its type or the data would be over 64 bytes."""
        parts = [self.name]
        for name, kind in self.args.items():
            raw = kind.encode(values.get(name))
            try:
                kind.decode(raw)
            except ArgumentError:
                raise FlowError(f"callback {self.name!r}: argument {name!r} is {raw!r}, "
                                f"not {kind}") from None
            parts.append(escape(raw))
        data = SEPARATOR.join(parts)
        size = len(data.encode())
        if size > CALLBACK_LIMIT:
            raise FlowError(f"callback data of {self.name!r} is {size} bytes "
                            f"(Telegram's limit {CALLBACK_LIMIT}): shorten its arguments")
        return data

    def decode(self, data: str) -> dict[str, Value]:
        """The typed values in ``data``; :class:`ArgumentError` with the refusal reason."""
        if not self.matches(data):
            raise ArgumentError(f"not a {self.name!r} callback", reason="bad_arguments")
        parts = split(data)[1:]
        if len(parts) != len(self.args):
            raise ArgumentError(f"{len(parts)} values for {len(self.args)} arguments",
                                reason="bad_arguments")
        decoded: dict[str, Value] = {}
        for (name, kind), raw in zip(self.args.items(), parts, strict=True):
            try:
                decoded[name] = kind.decode(raw)
            except ArgumentError as exc:
                raise ArgumentError(f"argument {name!r}: {exc}") from None
        return decoded


def declared(args: str | Mapping[str, str] | None) -> dict[str, ArgType]:
    """A handler's declared arguments (``args: {name: type}``) with their types; a regex
    (a command's legacy form) declares none. The linker has refused unknown types."""
    if not isinstance(args, Mapping):
        return {}
    return {name: ArgType.parse(text) for name, text in args.items()}


def parse_command(text: str, args: Mapping[str, ArgType]) -> dict[str, Value]:
    """A command's text split into its declared arguments; :class:`ArgumentError`
    (bad_arguments) when it does not fit them."""
    rest = text.strip()
    decoded: dict[str, Value] = {}
    for name, kind in args.items():
        if kind.kind == "text":
            word, rest = rest, ""
        else:
            word, _, rest = rest.partition(" ")
            rest = rest.lstrip()
        if word == "" and not kind.optional:
            raise ArgumentError(f"argument {name!r} is missing", reason="bad_arguments")
        try:
            decoded[name] = kind.decode(word)
        except ArgumentError as exc:
            raise ArgumentError(f"argument {name!r}: {exc}", reason="bad_arguments") from None
    if rest:
        raise ArgumentError("more words than arguments", reason="bad_arguments")
    return decoded
