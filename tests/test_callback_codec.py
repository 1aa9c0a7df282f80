"""The one codec of handler arguments (engine/handler_args.py): a side-message button's callback
name and named arguments in callback data (at most 64 bytes, separators escaped) and back into
typed values; a command's text split into its declared, typed arguments."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ArgumentError, FlowError
from engine.handler_args import CALLBACK_LIMIT, ArgType, CallbackCodec, escape, parse_command

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
TYPES = st.sampled_from(["int", "int?", "str", "str?"]).map(ArgType.parse)


def values_for(kind: ArgType) -> st.SearchStrategy[Any]:
    base: st.SearchStrategy[Any] = st.integers() if kind.kind == "int" else TEXT
    if kind.optional:  # an empty text and no value are one: None
        return st.none() | (base.filter(lambda v: v != "") if kind.kind == "str" else base)
    return base


@st.composite
def calls(draw: st.DrawFn) -> tuple[CallbackCodec, dict[str, Any]]:
    args = draw(st.dictionaries(NAMES, TYPES, max_size=4))
    codec = CallbackCodec(draw(NAMES), args)
    return codec, {name: draw(values_for(kind)) for name, kind in args.items()}


@given(calls())
def test_decode_gives_back_what_encode_took_and_data_never_exceeds_64_bytes(
        call: tuple[CallbackCodec, dict[str, Any]]) -> None:
    codec, values = call
    size = len(codec.name.encode()) + sum(
        1 + len(escape("" if v is None else str(v)).encode()) for v in values.values())
    if size > CALLBACK_LIMIT:
        with pytest.raises(FlowError, match=f"is {size} bytes"):
            codec.encode(values)
        return
    data = codec.encode(values)
    assert len(data.encode()) == size
    assert codec.matches(data)
    assert codec.decode(data) == values


def test_separators_in_values_are_escaped() -> None:
    codec = CallbackCodec("note", {"ticket_id": ArgType.parse("int"), "text": ArgType.parse("str")})
    data = codec.encode({"ticket_id": 12, "text": "a:b\\c"})
    assert data == "note:12:a\\:b\\\\c"
    assert codec.decode(data) == {"ticket_id": 12, "text": "a:b\\c"}
    assert not codec.matches("notes:12:x")


def test_a_value_that_cannot_fit_is_refused_with_a_clear_error() -> None:
    codec = CallbackCodec("take", {"text": ArgType.parse("str")})
    with pytest.raises(FlowError, match=r"callback data of 'take' is 70 bytes .*limit 64"):
        codec.encode({"text": "x" * 65})


@pytest.mark.parametrize(("data", "reason"), [
    ("take:1:2", "bad_arguments"), ("take", "bad_arguments"), ("take:1\\", "bad_arguments"),
    ("take:abc", "bad_value"), ("take:", "bad_value"), ("take:+1", "bad_value"),
    ("take: 1", "bad_value"), ("take:١", "bad_value"),
])
def test_forged_callback_data_is_refused_with_a_reason(data: str, reason: str) -> None:
    codec = CallbackCodec("take", {"ticket_id": ArgType.parse("int")})
    with pytest.raises(ArgumentError) as caught:
        codec.decode(data)
    assert caught.value.reason == reason


def test_a_callback_without_arguments_is_its_name() -> None:
    codec = CallbackCodec("ping", {})
    assert codec.encode({}) == "ping"
    assert codec.decode("ping") == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("12", {"ticket_id": 12, "note": None}),
    ("  12  ", {"ticket_id": 12, "note": None}),
    ("12 the VIN is wrong", {"ticket_id": 12, "note": "the VIN is wrong"}),
])
def test_command_text_is_split_into_typed_arguments(text: str, expected: dict[str, Any]) -> None:
    args = {"ticket_id": ArgType.parse("int"), "note": ArgType.parse("text?")}
    assert parse_command(text, args) == expected


@pytest.mark.parametrize("text", ["", "abc", "1 2", "+1", "١"])
def test_command_text_not_matching_its_arguments_is_bad_arguments(text: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_command(text, {"ticket_id": ArgType.parse("int")})
    assert caught.value.reason == "bad_arguments"


def test_optional_command_arguments_may_be_left_out() -> None:
    assert parse_command("", {"ticket_id": ArgType.parse("int?")}) == {"ticket_id": None}


@pytest.mark.parametrize("text", ["integer", "int??", "text:", ""])
def test_unknown_types_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="int, int\\?, str"):
        ArgType.parse(text)
