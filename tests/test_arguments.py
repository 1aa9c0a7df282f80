"""The handler-argument codec: callback data and command text decoded strictly for the action's
parameters, before any action runs (engine/runtime/arguments.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import pytest
from annotated_types import Ge, Le
from pydantic import TypeAdapter

from engine.errors import ArgumentError, FlowError
from engine.kinds import builtin_kinds
from engine.runtime.arguments import INT_MAX, INT_MIN, callback_codecs, decode_args, decode_value

Small = Annotated[int, Ge(1), Le(1000)]


def decode(value: object, annotation: Any) -> Any:
    return decode_value(value, annotation, TypeAdapter(annotation))


@pytest.mark.parametrize(("raw", "expected"), [
    ("0", 0), ("12", 12), ("-7", -7), (str(INT_MAX), INT_MAX), (str(INT_MIN), INT_MIN), (42, 42),
])
def test_integers_are_ascii_digits_within_64_bits(raw: object, expected: int) -> None:
    assert decode(raw, int) == expected


@pytest.mark.parametrize("raw", [
    "", "abc", " 1", "1 ", "+1", "1_000", "1.0", "1e3", "0x10", "١٢", "1' OR 1=1 --", "1:2",
    str(INT_MAX + 1), str(INT_MIN - 1), "99999999999999999999", INT_MAX + 1, True, 1.0, None,
])
def test_anything_else_is_not_an_integer(raw: object) -> None:
    with pytest.raises(ArgumentError):
        decode(raw, int)


def test_annotated_bounds_narrow_the_range_and_optional_takes_empty_as_none() -> None:
    assert decode("1000", Small) == 1000
    for raw in ("0", "1001", "99999999999999999999"):
        with pytest.raises(ArgumentError):
            decode(raw, Small)
    assert decode("", Small | None) is None
    assert decode(None, int | None) is None
    assert decode("5", Small | None) == 5
    with pytest.raises(ArgumentError):
        decode("x", Small | None)


def test_other_types_are_validated_for_their_annotation() -> None:
    assert decode("1.50", Decimal) == Decimal("1.50")
    assert decode("take me", str) == "take me"
    with pytest.raises(ArgumentError):
        decode("cheap", Decimal)
    assert decode_value("anything", None) == "anything"  # unannotated: as it came


def test_decode_args_names_the_argument_and_is_a_flow_error() -> None:
    annotations = {"ticket_id": Small, "note": str}
    adapters: dict[str, TypeAdapter[Any]] = {n: TypeAdapter(a) for n, a in annotations.items()}
    assert decode_args({"ticket_id": "7", "note": "hi"}, annotations, adapters) == \
        {"ticket_id": 7, "note": "hi"}
    with pytest.raises(ArgumentError, match="argument 'ticket_id'") as caught:
        decode_args({"ticket_id": "7x", "note": "hi"}, annotations, adapters)
    assert isinstance(caught.value, FlowError)


def test_each_callback_is_decoded_by_the_arguments_its_handler_declares() -> None:
    scenario = builtin_kinds().scenario_model.model_validate({
        "scenario": "x", "dialogs": {"d": {"windows": {"w": {"text": "w"}}}},
        "handlers": [
            {"callback": "take", "args": {"ticket_id": "int"}, "go": "d"},
            {"callback": "move", "args": {"ticket_id": "int", "to": "str"}, "go": "d"},
            {"callback": "ping", "go": "d"},
        ],
    })
    codecs = callback_codecs(scenario)
    assert codecs["take"].decode("take:7") == {"ticket_id": 7}
    assert codecs["move"].decode("move:7:a\\:b") == {"ticket_id": 7, "to": "a:b"}
    assert codecs["ping"].decode("ping") == {}
    with pytest.raises(ArgumentError) as caught:
        codecs["take"].decode("take:7:8")
    assert caught.value.reason == "bad_arguments"
