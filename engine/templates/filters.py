"""Formatting filters: money, phone numbers, moments in a time zone, plural forms.

Plain functions (:func:`format_money`, :func:`format_phone`, :func:`format_datetime`,
:func:`plural_form`) usable from Python, and their Jinja filters (:data:`FILTERS`), which read the
render call's ``_locale`` and ``_timezone`` context variables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2.runtime import Context
from jinja2.utils import pass_context

from engine.settings import DEFAULT_TIMEZONE

__all__ = [
    "DEFAULT_DATETIME_FORMAT",
    "FILTERS",
    "format_datetime",
    "format_money",
    "format_phone",
    "language_of",
    "plural_form",
    "zone_named",
]

DEFAULT_DATETIME_FORMAT = "%d.%m.%Y %H:%M"


def language_of(locale: str | None) -> str:
    """The language part of a locale, lower case: ``en-US`` -> ``en``; ``None`` -> ``""``."""
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower() if locale else ""


def _to_decimal(value: Any) -> Decimal:
    """A number as a Decimal without ever going through binary floating point arithmetic."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that round-trips, not the binary value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


_THOUSANDS = {"en": ","}
_DEFAULT_THOUSANDS = "\u202f"  # narrow no-break space: ru, uz and anything else
_CENT = Decimal("0.01")


def format_money(value: Any, locale: str | None = None, currency: str | None = None) -> str:
    """``12000`` -> ``12 000``, ``Decimal("1234.5")`` -> ``1 234.50``, ``-5`` -> ``-5``.

    Accepts Decimal, int, numeric str and float (converted through its shortest repr, never
    through binary arithmetic). Amounts are rounded half-up to cents; whole amounts show no
    decimals, others show exactly two. Thousands are separated by U+202F (narrow no-break space)
    except for English (``,``). ``currency`` is appended after a no-break space (U+00A0).
    Raises ``ValueError``/``TypeError`` for anything that is not a finite number.
    """
    amount = _to_decimal(value)
    with localcontext() as ctx:
        ctx.prec = 50
        ctx.rounding = ROUND_HALF_UP
        try:
            cents = amount.quantize(_CENT)
        except InvalidOperation:
            raise ValueError(f"{value!r} is too large to format as money") from None
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):f}".partition(".")
    separator = _THOUSANDS.get(language_of(locale), _DEFAULT_THOUSANDS)
    text = f"{sign}{int(whole):,}".replace(",", separator)
    if fraction.strip("0"):
        text = f"{text}.{fraction}"
    return f"{text}\u00a0{currency}" if currency else text


_PHONE_RE = re.compile(r"\+?[\d\s().-]+")


def format_phone(value: Any) -> str:
    """``998901234567`` -> ``+998 90 123 45 67``; other digit strings -> ``+`` and the digits.

    Accepts an int or a string of digits (an optional leading ``+``, spaces, dashes, dots and
    parentheses are ignored). Never raises: ``None`` gives an empty string and anything else that
    is not a phone number is returned unchanged (as text; autoescape still applies in messages).
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return str(value)
    text = str(value).strip()
    if not _PHONE_RE.fullmatch(text):
        return str(value)
    digits = re.sub(r"\D", "", text)
    if not digits:
        return str(value)
    if len(digits) == 12 and digits.startswith("998"):
        return f"+998 {digits[3:5]} {digits[5:8]} {digits[8:10]} {digits[10:]}"
    return f"+{digits}"


def zone_named(name: str) -> ZoneInfo:
    """The zone called ``name`` (an IANA name); ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


_DATE_ONLY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_RE = re.compile(r"-?\d+(?:\.\d+)?")


def format_datetime(
    value: Any, fmt: str = DEFAULT_DATETIME_FORMAT, timezone: str = DEFAULT_TIMEZONE
) -> str:
    """Format a moment in ``timezone`` (an IANA name) with ``strftime`` format ``fmt``.

    ``value`` is a datetime (naive ones are taken as UTC), an ISO 8601 string, or Unix seconds
    (int, float or a string of digits). A ``date`` or a date-only ISO string is a calendar date
    and is formatted as is, without zone conversion. Raises ``ValueError``/``TypeError`` on junk.
    """
    if isinstance(value, bool):
        raise TypeError(f"expected a date/time, got {value!r}")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.strftime(fmt)
    elif isinstance(value, int | float | Decimal):
        moment = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY_RE.fullmatch(text):
            return date.fromisoformat(text).strftime(fmt)
        if _TIMESTAMP_RE.fullmatch(text):
            moment = datetime.fromtimestamp(float(text), UTC)
        else:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO date/time") from None
    else:
        raise TypeError(f"expected a date/time, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_named(timezone)).strftime(fmt)


def plural_form(count: Any, forms: Sequence[str], locale: str | None) -> str:
    """The form of a word that goes with ``count``; ``forms`` are (one, few, many).

    Russian: 1, 21, 101 -> one; 2-4, 22-24 -> few; 0, 5-20, 11-14, 25 -> many; fractions -> few.
    Uzbek nouns do not change after numerals: always the first form. English and any other
    locale: one for exactly 1, else the second form. A missing form falls back to the last given.
    """
    if not forms:
        raise ValueError("plural needs at least one form")
    number = abs(_to_decimal(count))
    language = language_of(locale)
    if language == "uz":
        index = 0
    elif language == "ru":
        with localcontext() as ctx:
            ctx.prec = 50
            if number != number.to_integral_value():
                index = 1
            else:
                last_two = int(number % 100)
                last = last_two % 10
                if last == 1 and last_two != 11:
                    index = 0
                elif 2 <= last <= 4 and not 12 <= last_two <= 14:
                    index = 1
                else:
                    index = 2
    else:
        index = 0 if number == 1 else 1
    return forms[min(index, len(forms) - 1)]


def _context_str(context: Context, key: str) -> str | None:
    value = context.get(key)
    return value if isinstance(value, str) else None


@pass_context
def _money_filter(context: Context, value: Any, currency: str | None = None) -> str:
    return format_money(value, _context_str(context, "_locale"), currency)


@pass_context
def _plural_filter(context: Context, count: Any, *forms: str) -> str:
    return plural_form(count, [str(f) for f in forms], _context_str(context, "_locale"))


@pass_context
def _datetime_filter(
    context: Context, value: Any, fmt: str = DEFAULT_DATETIME_FORMAT, tz: str | None = None
) -> str:
    zone = tz or _context_str(context, "_timezone") or DEFAULT_TIMEZONE
    return format_datetime(value, fmt, zone)


def _phone_filter(value: Any) -> str:
    return format_phone(value)

FILTERS: dict[str, Callable[..., str]] = {
    "money": _money_filter,
    "phone": _phone_filter,
    "datetime": _datetime_filter,
    "plural": _plural_filter,
}
"""The engine's Jinja filters by name, registered on every environment."""
