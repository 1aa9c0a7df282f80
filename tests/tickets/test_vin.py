"""VIN validation: the worked example of 49 CFR 565.15(c), the sample VINs of the reference, each error."""

from __future__ import annotations

import pytest

from actions.tickets.vin import VinCheck, check_digit, normalize_vin, validate_vin

PASSING = [
    "1G4AH59H45G118341",  # the CFR's worked example
    "1HGBH41JXMN109186",
    "1M8GDM9AXKP042788",
    "2A4GM684X6R632476",
    "4T1SK12E1NU028452",
    "JT2AE09W4P0038539",
    "KMHD35LH5EU205042",
    "WDBEA30D3HA391172",
    "WBAFR7C50BC123456",
]


def test_the_worked_example_of_the_regulation() -> None:
    assert check_digit("1G4AH59H?5G118341".replace("?", "0")) == "4"
    assert validate_vin("1G4AH59H45G118341") == VinCheck("1G4AH59H45G118341", True, None, (), 17)


def test_remainder_ten_is_written_x() -> None:
    assert check_digit("1HGBH41J0MN109186") == "X"


@pytest.mark.parametrize("vin", PASSING)
def test_sample_vins_pass_without_warnings(vin: str) -> None:
    result = validate_vin(vin)
    assert (result.ok, result.error, result.warnings) == (True, None, ())
    assert check_digit(vin) == vin[8]


@pytest.mark.parametrize(("vin", "expected", "found"), [
    ("1FTFW1ET5DFC12345", "1", "5"),  # "valid" in an earlier bot's tests
    ("1G4AH59H55G118341", "4", "5"),
])
def test_a_wrong_check_digit_rejects_a_north_american_vin(vin: str, expected: str, found: str) -> None:
    result = validate_vin(vin)
    assert (result.ok, result.error) == (False, "check_digit")
    assert (result.expected_check, result.found_check) == (expected, found)
    assert result.north_american


@pytest.mark.parametrize(("vin", "expected", "found"), [
    ("JM1BK32F381234567", "9", "3"),  # Japanese: position 9 is not enforced
    ("WP0ZZZ99ZTS392124", "8", "Z"),  # European Porsche with a filler in position 9
])
def test_a_check_digit_mismatch_elsewhere_is_only_a_warning(vin: str, expected: str, found: str) -> None:
    result = validate_vin(vin)
    assert (result.ok, result.error, result.warnings) == (True, None, ("check_digit_mismatch",))
    assert (result.expected_check, result.found_check) == (expected, found)
    assert not result.north_american


@pytest.mark.parametrize(("raw", "error", "length"), [
    ("", "empty", 0),
    ("  - \t ", "empty", 0),
    ("1HGBH41JXMN10918", "too_short", 16),
    ("XTA", "too_short", 3),
    ("1HGBH41JXMN1091866", "too_long", 18),
    ("VIN 1HGBH41JXMN109186", "too_long", 20),
])
def test_length_errors(raw: str, error: str, length: int) -> None:
    result = validate_vin(raw)
    assert (result.ok, result.error, result.length) == (False, error, length)


def test_length_is_checked_before_forbidden_letters() -> None:
    assert validate_vin("1HGBH41JXMN1O918").error == "too_short"


def test_forbidden_letters_name_the_letters_their_positions_and_a_correction() -> None:
    result = validate_vin("1HGBH4IJXMN1O9186")
    assert (result.ok, result.error) == (False, "forbidden_letters")
    assert result.bad_chars == ("I", "O")
    assert result.positions == (7, 13)
    assert result.suggestion == "1HGBH41JXMN109186"
    assert validate_vin(result.suggestion).ok


def test_q_is_forbidden_and_suggested_as_zero() -> None:
    result = validate_vin("WBAFR7C5QBC123456")
    assert (result.error, result.bad_chars, result.positions) == ("forbidden_letters", ("Q",), (9,))
    assert result.suggestion == "WBAFR7C50BC123456"


def test_cyrillic_o_becomes_a_forbidden_latin_o() -> None:
    result = validate_vin("1HGBH41JXMN1О9186")  # Cyrillic О
    assert (result.error, result.bad_chars, result.positions) == ("forbidden_letters", ("O",), (13,))


@pytest.mark.parametrize(("raw", "bad"), [
    ("1HGBH41JXMN1#9186", ("#",)),
    ("1HGBH41JXMN10918Ж", ("Ж",)),
    ("1HGBH41JXMNé09186*", ("é", "*")),
    ("1HGBH41JXMN10918ß", ("ß",)),  # not silently upper-cased to "SS"
])
def test_other_characters_are_bad_characters(raw: str, bad: tuple[str, ...]) -> None:
    result = validate_vin(raw)
    assert (result.ok, result.error, result.bad_chars) == (False, "bad_characters", bad)


def with_check_digit(vin: str) -> str:
    return vin[:8] + check_digit(vin) + vin[9:]


@pytest.mark.parametrize("code", ["U", "Z", "0"])
def test_a_bad_model_year_code_rejects_a_north_american_vin(code: str) -> None:
    vin = with_check_digit(f"1HGBH41JX{code}N109186")  # only the year code is wrong
    result = validate_vin(vin)
    assert (result.ok, result.error) == (False, "model_year")


def test_a_bad_model_year_code_elsewhere_is_a_warning() -> None:
    result = validate_vin(with_check_digit("WDBEA30D3UA391172"))
    assert (result.ok, result.warnings) == (True, ("model_year_code",))


def test_both_warnings_together() -> None:
    result = validate_vin("WP0ZZZ99ZZS392124")
    assert (result.ok, result.warnings) == (True, ("check_digit_mismatch", "model_year_code"))


@pytest.mark.parametrize(("raw", "normalised"), [
    ("  1hgbh41jxmn109186 ", "1HGBH41JXMN109186"),
    ("1HG-BH41-JXMN-109186", "1HGBH41JXMN109186"),
    ("1HG BH41 JX/MN.109_186", "1HGBH41JXMN109186"),
    ("1HG—BH41–JXMN\u00a0109186", "1HGBH41JXMN109186"),
    ("ХТА21099", "XTA21099"),  # Cyrillic capitals
    ("хта21099", "XTA21099"),  # Cyrillic lower case
    ("аверкмнорстух", "ABEPKMHOPCTYX"),
    ("ＷＢＡ１２３", "WBA123"),  # full-width forms
    ("«1HGBH41JXMN109186»", "1HGBH41JXMN109186"),
])
def test_normalisation(raw: str, normalised: str) -> None:
    assert normalize_vin(raw) == normalised


def test_cyrillic_typing_of_a_valid_vin_validates() -> None:
    result = validate_vin("ХТА21099 0Т4321000")  # Cyrillic Х, Т, А and Т
    assert (result.vin, result.ok) == ("XTA210990T4321000", True)
    assert validate_vin("wва fr7с50вс123456").vin == "WBAFR7C50BC123456"  # mixed Latin / Cyrillic
    assert validate_vin("wва fr7с50вс123456").ok


def test_check_digit_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        check_digit("ABC")
    with pytest.raises(ValueError, match="transliteration"):
        check_digit("1HGBH41JXMN1O9186")
