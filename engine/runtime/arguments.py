"""The one codec for handler arguments: what callback data and command text carry into actions.

A side message's button sends callback data and a command carries text, both declared by the
handler's ``args:`` and split into typed values by :mod:`engine.handler_args` (a command's legacy
regex yields named groups instead): text any client can forge (``take:abc``, ``take:1:2``,
``prio:99999999999999999999``). Before a handler's action runs, every argument it passes goes
through :func:`decode_args`:

* an ``int`` parameter takes ASCII digits with an optional ``-`` and nothing else (no spaces,
  ``+``, ``_``, other scripts' digits, fractions), within a signed 64-bit integer (what SQL
  databases store); an ``Annotated[int, Field(ge=..., le=...)]`` parameter narrows that further;
  an optional one (``int | None``) takes an empty text as ``None``;
* any other annotated parameter is validated by pydantic for that annotation;
* a value that does not decode raises :class:`~engine.errors.ArgumentError`, which the handler
  answers with its ``bad_value`` refusal: the action never sees it.

Callback data must also carry exactly the arguments its handler declares
(:func:`callback_codecs`); that check belongs to the handler (``bad_arguments``).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from engine.errors import ArgumentError
from engine.handler_args import CallbackCodec, declared
from engine.scenario import schema as s

__all__ = ["INT_MAX", "INT_MIN", "callback_codecs", "decode_args", "decode_value"]

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``Annotated`` metadata and ``None``; whether ``None`` is allowed."""
    if get_origin(annotation) is typing.Annotated:
        return _base(get_args(annotation)[0])
    if get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if len(members) == 1:
            inner, inner_optional = _base(members[0])
            return inner, optional or inner_optional
        return annotation, optional
    return annotation, False


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ArgumentError(f"{value!r} is not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    else:
        raise ArgumentError(f"{value!r} is not an integer")
    if not INT_MIN <= number <= INT_MAX:
        raise ArgumentError(f"{number} is out of the 64-bit integer range")
    return number


def decode_value(value: object, annotation: Any,
                 adapter: TypeAdapter[Any] | None = None) -> Any:
    """``value`` as the parameter annotated ``annotation`` takes it, or :class:`ArgumentError`."""
    if annotation is None or annotation is Any:
        return value
    base, optional = _base(annotation)
    if optional and value in (None, ""):
        return None
    if base is int:
        value = _integer(value)
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise ArgumentError(f"{value!r}: {exc.errors()[0]['msg']}") from None


def decode_args(values: Mapping[str, object], annotations: Mapping[str, Any],
                adapters: Mapping[str, TypeAdapter[Any]]) -> dict[str, Any]:
    """Every argument decoded for its parameter; :class:`ArgumentError` names the first bad one."""
    decoded: dict[str, Any] = {}
    for name, value in values.items():
        try:
            decoded[name] = decode_value(value, annotations.get(name), adapters.get(name))
        except ArgumentError as exc:
            raise ArgumentError(f"argument {name!r}: {exc}") from None
    return decoded


def callback_codecs(scenario: s.Scenario) -> dict[str, CallbackCodec]:
    """Callback name -> the codec of its data: the arguments its handler declares (the first
    handler of a name, as aiogram tries them in order)."""
    codecs: dict[str, CallbackCodec] = {}
    for handler in scenario.handlers:
        name = handler.callback_name
        if name is not None and name not in codecs:
            codecs[name] = CallbackCodec(name, declared(handler.args))
    return codecs
