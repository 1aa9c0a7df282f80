"""Property tests of VIN normalisation and validation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actions.tickets.vin import (
    ALLOWED,
    LOOK_ALIKES,
    MODEL_YEAR_CODES,
    NORTH_AMERICA,
    check_digit,
    normalize_vin,
    validate_vin,
)

ALLOWED_CHARS = "".join(sorted(ALLOWED))
CYRILLIC_FOR = {lat: cyr for cyr, lat in LOOK_ALIKES.items() if "\u0400" <= cyr <= "\u04ff" and cyr.isupper()}
SEPARATOR_STRINGS = st.sampled_from([" ", "-", "  ", " - ", "\t", ".", "–"])


@st.composite
def valid_vins(draw: st.DrawFn, first: str = ALLOWED_CHARS) -> str:
    """17 allowed characters, a model-year code in position 10 and the correct check digit."""
    head = draw(st.sampled_from(first)) + draw(st.text(ALLOWED_CHARS, min_size=7, max_size=7))
    year = draw(st.sampled_from(sorted(MODEL_YEAR_CODES)))
    tail = draw(st.text(ALLOWED_CHARS, min_size=7, max_size=7))
    vin = f"{head}0{year}{tail}"
    return vin[:8] + check_digit(vin) + vin[9:]


@given(st.text())
def test_normalising_is_idempotent(raw: str) -> None:
    once = normalize_vin(raw)
    assert normalize_vin(once) == once


@given(st.text())
def test_normalised_text_holds_only_latin_capitals_and_digits(raw: str) -> None:
    assert all(c.isascii() and (c.isupper() or c.isdigit()) for c in normalize_vin(raw))


@given(st.text())
def test_validation_never_raises_and_ok_means_no_error(raw: str) -> None:
    result = validate_vin(raw)
    assert result.ok == (result.error is None)
    assert result.length == len(result.vin)


@given(valid_vins())
def test_any_vin_with_a_correct_check_digit_validates(vin: str) -> None:
    result = validate_vin(vin)
    assert (result.ok, result.vin, result.warnings) == (True, vin, ())


@given(valid_vins(first="".join(sorted(NORTH_AMERICA))), st.sampled_from("0123456789X"))
def test_changing_the_check_digit_of_a_north_american_vin_invalidates_it(vin: str, digit: str) -> None:
    changed = vin[:8] + digit + vin[9:]
    result = validate_vin(changed)
    if digit == vin[8]:
        assert result.ok
    else:
        assert (result.ok, result.error, result.expected_check, result.found_check) == (
            False, "check_digit", vin[8], digit)


@given(valid_vins(first="ABCDEFGHJKLMNPRSTUVWXYZ6789"), st.sampled_from("0123456789X"))
def test_changing_the_check_digit_elsewhere_only_warns(vin: str, digit: str) -> None:
    result = validate_vin(vin[:8] + digit + vin[9:])
    assert result.ok
    assert result.warnings == (() if digit == vin[8] else ("check_digit_mismatch",))


@given(valid_vins(), st.data())
def test_how_a_valid_vin_is_typed_does_not_matter(vin: str, data: st.DataObject) -> None:
    typed: list[str] = []
    for char in vin:
        style = data.draw(st.sampled_from(["as is", "lower", "cyrillic", "cyrillic lower"]))
        if style == "lower":
            char = char.lower()
        elif style.startswith("cyrillic") and char in CYRILLIC_FOR:
            char = CYRILLIC_FOR[char].lower() if style == "cyrillic lower" else CYRILLIC_FOR[char]
        typed.append(char)
        if data.draw(st.booleans()):
            typed.append(data.draw(SEPARATOR_STRINGS))
    raw = data.draw(SEPARATOR_STRINGS) + "".join(typed) + data.draw(SEPARATOR_STRINGS)
    result = validate_vin(raw)
    assert (result.ok, result.vin) == (True, vin)
