"""Errors of the REGOS client, and the mapping from envelopes and HTTP answers onto them.

    ServiceUnavailable (engine.errors)
    └── RegosError                 .method, .code, .description; label "regos.rejected"
        ├── RegosTransportError    no usable answer: connection failed, HTTP 5xx / other non-200,
        │   │                      a body that is not a JSON envelope; label "regos.unavailable"
        │   └── RegosTimeout       no answer in time: after a WRITE its outcome is UNKNOWN
        ├── RegosRateLimited       ErrorResult 8213 or HTTP 429; .retry_after; label "regos.busy"
        ├── RegosValidationError   ErrorResult 1008; .field from "Details: <field path>"
        ├── RegosAccessError       ErrorResult 9006 / 1096, HTTP 401 / 403; label "regos.access"
        └── RegosApiError          any other ErrorResult, or a success payload of the wrong shape

Every message names the method (``Controller/Method``), never the URL: the integration key is
part of the URL and is a credential. Each class has a ``hint`` for operators (what to check when
it stops the bot's start) and says whether it is ``transient`` (worth trying again).
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

from engine.errors import ServiceUnavailable

__all__ = [
    "ACCESS_CODES",
    "RATE_LIMIT_CODE",
    "VALIDATION_CODE",
    "RegosAccessError",
    "RegosApiError",
    "RegosError",
    "RegosRateLimited",
    "RegosTimeout",
    "RegosTransportError",
    "RegosValidationError",
    "error_from_result",
    "error_from_status",
    "parse_retry_after",
    "validation_field",
]

VALIDATION_CODE = 1008
RATE_LIMIT_CODE = 8213
ACCESS_CODES = frozenset({9006, 1096})


class RegosError(ServiceUnavailable):
    """A REGOS call failed; ``user_message`` is a label the scenario shows to the user."""

    label = "regos.rejected"
    service = "REGOS"
    transient = False
    hint = ("REGOS refused the request: check the integration's settings and rights in REGOS "
            "(REGOS_CONNECTED_INTEGRATION_ID)")

    def __init__(self, message: str, *, method: str = "", code: int | None = None,
                 description: str = "", user_message: str | None = None) -> None:
        super().__init__(message, user_message=user_message or self.label)
        self.method = method
        self.code = code
        self.description = description


class RegosTransportError(RegosError):
    """No usable answer. ``status`` is the HTTP status when there was one.

    ``outcome_unknown`` is true when a write may have been applied although no answer arrived
    (the request left this process); it is false when the request provably never left
    (the connection could not be opened).
    """

    label = "regos.unavailable"
    hint = "check REGOS_API_URL and the network (REGOS may be down), then start again"

    def __init__(self, message: str, *, method: str = "", status: int | None = None,
                 outcome_unknown: bool = True, user_message: str | None = None) -> None:
        super().__init__(message, method=method, user_message=user_message)
        self.status = status
        self.outcome_unknown = outcome_unknown
        self.transient = status is None or status >= 500  # a 4xx answer repeats itself


class RegosTimeout(RegosTransportError):
    """REGOS did not answer in time. After a write the change may or may not have been applied:
    look it up (e.g. ``DocOrderDelivery/Get`` by ``external_code``) before sending it again."""


class RegosRateLimited(RegosError):
    """REGOS refused the request before processing it (ErrorResult 8213 or HTTP 429)."""

    label = "regos.busy"
    transient = True
    hint = "REGOS asks to slow down: start again in a minute"

    def __init__(self, message: str, *, method: str = "", code: int | None = None,
                 description: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, method=method, code=code, description=description)
        self.retry_after = retry_after


class RegosValidationError(RegosError):
    """ErrorResult 1008; ``field`` is the path after ``Details:`` (e.g. ``operations[0].quantity``)."""

    def __init__(self, message: str, *, method: str = "", code: int | None = VALIDATION_CODE,
                 description: str = "", field: str | None = None) -> None:
        super().__init__(message, method=method, code=code, description=description)
        self.field = field


class RegosAccessError(RegosError):
    """The integration may not do this (ErrorResult 9006 / 1096, HTTP 401 / 403)."""

    label = "regos.access"
    hint = ("check REGOS_INTEGRATION_KEY and REGOS_CONNECTED_INTEGRATION_ID: the integration "
            "must be connected and allowed this method")


class RegosApiError(RegosError):
    """Any other ErrorResult, or a success payload that does not have the documented shape."""


_DETAILS = re.compile(r"Details:\s*(?P<field>\S(?:.*\S)?)\s*$", re.DOTALL)


def validation_field(description: str) -> str | None:
    """The field path of a 1008 description: ``"... Details: operations[0].quantity"``."""
    match = _DETAILS.search(description)
    return match.group("field") if match else None


def error_from_result(method: str, result: Any) -> RegosError:
    """Map the ``result`` of an ``{"ok": false}`` envelope onto the error family."""
    if not isinstance(result, Mapping):
        return RegosApiError(f"{method}: ok=false without an error object", method=method)
    raw_code = result.get("error")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    raw_description = result.get("description")
    description = raw_description if isinstance(raw_description, str) else ""
    message = f"{method}: REGOS error {code}: {description}".rstrip(": ")
    if code == RATE_LIMIT_CODE:
        return RegosRateLimited(message, method=method, code=code, description=description)
    if code == VALIDATION_CODE:
        return RegosValidationError(message, method=method, description=description,
                                    field=validation_field(description))
    if code in ACCESS_CODES:
        return RegosAccessError(message, method=method, code=code, description=description)
    return RegosApiError(message, method=method, code=code, description=description)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def error_from_status(method: str, status: int, headers: Mapping[str, str], *,
                      outcome_unknown: bool = True) -> RegosError:
    """Map a non-200 HTTP answer (from REGOS or the infrastructure in front of it)."""
    if status == 429:
        return RegosRateLimited(f"{method}: HTTP 429 Too Many Requests", method=method,
                                retry_after=parse_retry_after(headers.get("retry-after")))
    if status in (401, 403):
        return RegosAccessError(f"{method}: HTTP {status}", method=method)
    return RegosTransportError(f"{method}: HTTP {status}", method=method, status=status,
                               outcome_unknown=outcome_unknown and status >= 500)
