"""VIN normalisation and layered validation (ISO 3779, 49 CFR 565.15); pure functions, no I/O.

The policy (see the VIN reference, §7) is strict where the standard is strict and lenient elsewhere:

1. normalise: trim, upper-case, drop separators, map Cyrillic / Greek look-alikes to Latin;
2. characters and length: anything that is neither a separator nor a letter or digit is a bad character;
   then exactly 17 characters; then ``[A-HJ-NPR-Z0-9]`` only: ``I``, ``O``, ``Q`` are reported with their
   positions and a suggested correction;
3. the check digit (position 9) is enforced only for North-American VINs (first character ``1``-``5``);
   elsewhere a mismatch is a warning, because European makers often put a filler there;
4. the model-year code (position 10) must be one of the 30 codes: an error for North-American VINs, a
   warning otherwise.

The result carries machine codes only; the texts shown to users live in templates.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

VIN_LENGTH: Final = 17
ALLOWED: Final = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
FORBIDDEN_LETTERS: Final = frozenset("IOQ")
# Position 10: 21 letters + 9 digits, never I, O, Q, U, Z or 0.
MODEL_YEAR_CODES: Final = frozenset("ABCDEFGHJKLMNPRSTVWXY123456789")
NORTH_AMERICA: Final = frozenset("12345")

# Error codes (VinCheck.error), in the order they are checked.
BAD_CHARACTERS: Final = "bad_characters"
EMPTY: Final = "empty"
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"
FORBIDDEN: Final = "forbidden_letters"
CHECK_DIGIT: Final = "check_digit"
MODEL_YEAR: Final = "model_year"
# Warning codes (VinCheck.warnings): the same findings outside North America.
CHECK_DIGIT_MISMATCH: Final = "check_digit_mismatch"
MODEL_YEAR_CODE: Final = "model_year_code"

# 49 CFR 565.15(c): letters to values (digits are themselves) and the weight of each position.
TRANSLITERATION: Final[dict[str, int]] = {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
    **{str(d): d for d in range(10)},
}
WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

_LOOK_ALIKES_UPPER: Final = {
    # Cyrillic (Russian, plus І/Ј/Ѕ/Ԛ/Ԝ of other alphabets)
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
# Cyrillic lower case (typed on a Cyrillic layout); Greek lower case letters do not look alike.
LOOK_ALIKES: Final[dict[str, str]] = {
    **_LOOK_ALIKES_UPPER,
    **{cyr.lower(): lat for cyr, lat in _LOOK_ALIKES_UPPER.items() if "\u0400" <= cyr <= "\u052f"},
}
# Separators people type or paste around and inside a VIN; anything else unexpected is a bad character.
SEPARATORS: Final = frozenset(
    "-_.,;:/\\|·•'\"`«»„“”‘’()[]"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphens, dashes, minus
    "\u00a0\u2007\u202f\u200b\u2060\ufeff"  # non-breaking / zero-width spaces
)
SUGGESTIONS: Final = {"I": "1", "O": "0", "Q": "0"}


@dataclass(frozen=True)
class VinCheck:
    """The outcome of :func:`validate_vin`.

    ``vin`` is the normalised input; ``ok`` is true when ``error`` is ``None`` (``warnings`` may still be
    present: the UI can then ask the customer to double-check). Detail fields are filled for the findings
    they belong to and are empty otherwise:

    * ``bad_chars``: the offending characters as typed (``bad_characters``), or the letters I/O/Q
      (``forbidden_letters``);
    * ``positions``: 1-based positions in ``vin`` of the forbidden letters;
    * ``suggestion``: ``vin`` with I → 1 and O/Q → 0 (``forbidden_letters``);
    * ``expected_check`` / ``found_check``: the computed and the actual position 9 (``check_digit`` error or
      ``check_digit_mismatch`` warning).
    """

    vin: str
    ok: bool
    error: str | None
    warnings: tuple[str, ...]
    length: int
    bad_chars: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()
    suggestion: str | None = None
    expected_check: str | None = None
    found_check: str | None = None

    @property
    def north_american(self) -> bool:
        """The first character is 1-5: the check digit and the model-year code are enforced."""
        return self.vin[:1] in NORTH_AMERICA


def _map_char(char: str) -> str | None:
    """One typed character → an ASCII letter or digit, ``""`` for a separator, ``None`` for anything else."""
    if char in LOOK_ALIKES:
        return LOOK_ALIKES[char]
    if char.isspace() or char in SEPARATORS:
        return ""
    folded = unicodedata.normalize("NFKC", char)  # full-width Ａ１ → A1
    if len(folded) == 1 and folded.isascii() and folded.isalnum():
        return folded.upper()
    if folded in LOOK_ALIKES:
        return LOOK_ALIKES[folded]
    return None


def _scan(raw: str) -> tuple[str, tuple[str, ...]]:
    kept: list[str] = []
    bad: list[str] = []
    for char in raw:
        mapped = _map_char(char)
        if mapped is None:
            if char not in bad:
                bad.append(char)
        else:
            kept.append(mapped)
    return "".join(kept), tuple(bad)


def normalize_vin(raw: str) -> str:
    """Upper-case ASCII letters and digits only: separators and unknown characters are dropped.

    Cyrillic (and Greek) look-alikes become their Latin twins, full-width forms become ASCII. Idempotent.
    Use :func:`validate_vin` to learn whether anything was dropped that was not a separator.
    """
    return _scan(raw)[0]


def check_digit(vin: str) -> str:
    """The North-American check digit (``0``-``9`` or ``X``) of a 17-character VIN of allowed characters.

    Raises ``ValueError`` for a wrong length or a character without a transliteration value (I, O, Q, …).
    """
    if len(vin) != VIN_LENGTH:
        raise ValueError(f"a VIN has {VIN_LENGTH} characters, got {len(vin)}")
    try:
        total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"no transliteration value for {exc.args[0]!r}") from None
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(raw: str) -> VinCheck:
    """Normalise ``raw`` and check it; the first error found wins, warnings accumulate."""
    vin, bad = _scan(raw)
    length = len(vin)
    if bad:
        return VinCheck(vin, False, BAD_CHARACTERS, (), length, bad_chars=bad)
    if not vin:
        return VinCheck(vin, False, EMPTY, (), 0)
    if length < VIN_LENGTH:
        return VinCheck(vin, False, TOO_SHORT, (), length)
    if length > VIN_LENGTH:
        return VinCheck(vin, False, TOO_LONG, (), length)
    forbidden = [(i, char) for i, char in enumerate(vin, start=1) if char in FORBIDDEN_LETTERS]
    if forbidden:
        letters = tuple(dict.fromkeys(char for _, char in forbidden))
        suggestion = "".join(SUGGESTIONS.get(char, char) for char in vin)
        return VinCheck(vin, False, FORBIDDEN, (), length, bad_chars=letters,
                        positions=tuple(i for i, _ in forbidden), suggestion=suggestion)

    north_american = vin[0] in NORTH_AMERICA
    warnings: list[str] = []
    expected, found = check_digit(vin), vin[8]
    if expected != found:
        if north_american:
            return VinCheck(vin, False, CHECK_DIGIT, (), length, expected_check=expected, found_check=found)
        warnings.append(CHECK_DIGIT_MISMATCH)
    if vin[9] not in MODEL_YEAR_CODES:
        if north_american:
            return VinCheck(vin, False, MODEL_YEAR, (), length)
        warnings.append(MODEL_YEAR_CODE)
    mismatch = CHECK_DIGIT_MISMATCH in warnings
    return VinCheck(vin, True, None, tuple(warnings), length,
                    expected_check=expected if mismatch else None, found_check=found if mismatch else None)
