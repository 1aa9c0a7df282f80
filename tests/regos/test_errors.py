"""The mapping from REGOS answers to the error family, without the network."""

from __future__ import annotations

import pytest

from actions.regos.errors import (
    RegosAccessError,
    RegosApiError,
    RegosRateLimited,
    RegosTransportError,
    RegosValidationError,
    error_from_result,
    error_from_status,
    parse_retry_after,
    validation_field,
)


@pytest.mark.parametrize(("description", "field"), [
    ("Input validation error: parameters are invalid. Details: field_name", "field_name"),
    ("Details: operations[0].quantity ", "operations[0].quantity"),
    ("Invalid phone format. Details: document.location.latitude", "document.location.latitude"),
    ("no details here", None),
    ("Details:", None),
])
def test_the_field_path_follows_details(description: str, field: str | None) -> None:
    assert validation_field(description) == field


@pytest.mark.parametrize(("result", "kind"), [
    ({"error": 1008, "description": "x. Details: a.b"}, RegosValidationError),
    ({"error": 8213, "description": ""}, RegosRateLimited),
    ({"error": 9006, "description": ""}, RegosAccessError),
    ({"error": 1096}, RegosAccessError),
    ({"error": 7501, "description": "Unknown additional field"}, RegosApiError),
    ({"error": "x"}, RegosApiError),
    (None, RegosApiError),
    ("boom", RegosApiError),
])
def test_error_results_map_onto_the_family(result: object, kind: type) -> None:
    error = error_from_result("A/B", result)
    assert type(error) is kind
    assert error.method == "A/B"


@pytest.mark.parametrize(("status", "kind", "label"), [
    (429, RegosRateLimited, "regos.busy"), (401, RegosAccessError, "regos.access"),
    (403, RegosAccessError, "regos.access"), (404, RegosTransportError, "regos.unavailable"),
    (500, RegosTransportError, "regos.unavailable"), (503, RegosTransportError, "regos.unavailable"),
])
def test_http_statuses_map_onto_the_family(status: int, kind: type, label: str) -> None:
    error = error_from_status("A/B", status, {"retry-after": "3"})
    assert type(error) is kind
    assert error.user_message == label


def test_only_5xx_leaves_a_write_in_doubt() -> None:
    assert isinstance(gateway := error_from_status("A/B", 502, {}), RegosTransportError)
    assert gateway.outcome_unknown
    assert isinstance(missing := error_from_status("A/B", 404, {}), RegosTransportError)
    assert not missing.outcome_unknown


@pytest.mark.parametrize(("value", "seconds"), [
    ("5", 5.0), (" 1.5 ", 1.5), ("-3", 0.0), ("", None), (None, None), ("soon", None), ("nan", None),
    ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
])
def test_retry_after_in_seconds_or_as_a_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=1445412480.0) == seconds
