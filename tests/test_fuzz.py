"""Fuzzing with hypothesis: whatever text arrives, the YAML loader and the phone normaliser
answer as documented and never raise. (VIN normalisation has its own properties in
tests/tickets/test_vin_properties.py.)"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.regos.api import phone_digits
from engine.scenario.loader import load_yaml

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAML_PIECES = st.sampled_from([
    "a", "b:", " ", "  ", "\n", "\t", "- ", "[", "]", "{", "}", ",", ":", "?", "&x ", "*x",
    "<<: ", "!!str ", "!!int ", "!foo ", "'", '"', "#", "|", ">", "---\n", "...\n", "{{ x }}",
    "1", "-1.5e3", "on", "~", "null", "\\", "%YAML 1.2\n", "\ufeff", "\x00", "é", "😀",
])
YAML_LIKE = st.lists(YAML_PIECES, max_size=60).map("".join)


def _positioned(text: str) -> None:
    loaded, diagnostics = load_yaml(text, "f.yaml")
    lines = max(1, len(text.splitlines()) + 1)
    for diagnostic in diagnostics:
        assert diagnostic.file == "f.yaml"
        assert 1 <= diagnostic.line <= lines + 1, (diagnostic, text)
        assert diagnostic.col >= 1
        assert diagnostic.message
    if loaded is None:
        assert any(d.severity.value == "error" for d in diagnostics), text


@FUZZ
@given(st.text(max_size=300))
def test_any_text_loads_or_gives_positioned_diagnostics(text: str) -> None:
    _positioned(text)


@FUZZ
@given(YAML_LIKE)
def test_any_yaml_like_text_loads_or_gives_positioned_diagnostics(text: str) -> None:
    _positioned(text)


@FUZZ
@given(st.text())
def test_phone_digits_never_raise_and_keep_only_ascii_digits(raw: str) -> None:
    digits = phone_digits(raw)
    assert digits == "" or (digits.isascii() and digits.isdigit()), digits
    assert phone_digits(digits) == digits
