"""Decimals travel as exact JSON numbers; fractional numbers come back as Decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.regos import codec


def test_decimals_are_written_as_exact_json_numbers() -> None:
    body = codec.dumps({"price": Decimal("12000.50"), "quantity": Decimal("1.5"), "n": 3,
                        "big": Decimal("1E+3"), "tiny": Decimal("1.5E-7"), "name": "Сыр <1> & \"2\"",
                        "list": [True, False, None, 2.5]})
    assert body == ('{"price":12000.50,"quantity":1.5,"n":3,"big":1000,"tiny":0.00000015,'
                    '"name":"Сыр <1> & \\"2\\"","list":[true,false,null,2.5]}').encode()


def test_a_round_trip_keeps_every_digit() -> None:
    value = {"amount": Decimal("2000000.10"), "rows": [{"q": Decimal("0.001")}]}
    assert codec.loads(codec.dumps(value)) == value
    assert str(codec.loads(codec.dumps(value))["amount"]) == "2000000.10"


def test_loads_keeps_integers_int_and_fractions_decimal() -> None:
    parsed = codec.loads(b'{"id": 5, "price": 8500.50, "q": 1e2}')
    assert parsed == {"id": 5, "price": Decimal("8500.50"), "q": Decimal("1e2")}
    assert type(parsed["id"]) is int
    assert str(parsed["price"]) == "8500.50"


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        codec.dumps({"x": bad})


def test_nan_in_a_body_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        codec.loads(b'{"x": NaN}')


def test_unknown_types_and_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        codec.dumps({"x": {1, 2}})
    with pytest.raises(TypeError, match="keys must be str"):
        codec.dumps({1: "x"})
