"""Sizes and durations written for people: ``20 MB``, ``15m``, ``60s``, ``1h``, ``7d`` (plain
numbers stay bytes and seconds); a malformed one is an error at the value naming the forms."""

from __future__ import annotations

import pytest

from engine.kinds import builtin_kinds
from engine.scenario.loader import load_yaml
from engine.scenario.schema import Scenario
from engine.scenario.units import parse_duration, parse_size
from engine.scenario.validate import validate_scenario

FILE = "scenario.yaml"

SCENARIO = """\
scenario: demo
dialogs:
  main:
    windows:
      home:
        text: home
        input: {type: document, max_size: %s, action: {call: x.y.z}}
jobs:
  sweep:
    every: %s
    action: x.y.sweep
"""


def validated(size: str, every: str) -> tuple[Scenario | None, list[str]]:
    loaded, problems = load_yaml(SCENARIO % (size, every), FILE)
    assert loaded is not None, problems
    scenario, diagnostics = validate_scenario(loaded, builtin_kinds())
    return scenario, [d.format() for d in diagnostics]


@pytest.mark.parametrize(("text", "expected"), [
    ("20 MB", 20 * 1024 * 1024), ("20MB", 20 * 1024 * 1024), ("512 KB", 512 * 1024),
    ("1 GB", 1024 ** 3), ("300 B", 300), ("1.5 MB", 1572864), ("4096", 4096), (4096, 4096),
])
def test_sizes_read_with_their_unit(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("60s", 60), ("15m", 900), ("1h", 3600), ("7d", 604800), ("1h 30m", 5400), ("90", 90), (90, 90),
])
def test_durations_read_in_seconds(text: str | int, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["20 mega", "MB", "-1 MB", "1e3", ""])
def test_a_malformed_size_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="20 MB"):
        parse_size(text)


@pytest.mark.parametrize("text", ["15 minutes", "m", "1.5h", "1w", ""])
def test_a_malformed_duration_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="15m"):
        parse_duration(text)


def test_scenario_sizes_and_job_periods_take_units() -> None:
    scenario, problems = validated('"20 MB"', "15m")
    assert scenario is not None, problems
    assert scenario.jobs["sweep"].every == 900
    assert scenario.dialogs["main"].windows["home"].input.max_size == 20 * 1024 * 1024  # type: ignore[union-attr]


def test_a_bad_size_in_a_scenario_is_an_error_at_the_value() -> None:
    scenario, problems = validated('"20 mega"', "15m")
    assert scenario is None
    assert len(problems) == 1
    assert problems[0].startswith(f"{FILE}:7:43: error[invalid-value]")
    assert "20 MB" in problems[0]


def test_a_bad_period_in_a_scenario_is_an_error_at_the_value() -> None:
    scenario, problems = validated("20971520", "15 minutes")
    assert scenario is None
    assert len(problems) == 1
    assert problems[0].startswith(f"{FILE}:10:12: error[invalid-value]")
    assert "15m" in problems[0]


def test_a_size_over_the_limit_is_still_refused() -> None:
    scenario, problems = validated('"60 MB"', "15m")
    assert scenario is None
    assert len(problems) == 1
