"""Typed scenario settings: defaults, environment overrides, parsing, required ones."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from engine.errors import ConfigError
from engine.scenario.schema import SettingSpec
from engine.settings import parse_setting, resolve_settings


@pytest.mark.parametrize("raw", ["1", "true", "YES", "y", "on"])
def test_booleans_accept_the_usual_yes_spellings(raw: str) -> None:
    assert parse_setting("X", "bool", raw) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "n", "off", ""])
def test_booleans_accept_the_usual_no_spellings(raw: str) -> None:
    assert parse_setting("X", "bool", raw) is False


def test_a_time_is_read_as_hh_mm() -> None:
    assert parse_setting("WORK_TIME_START", "time", "09:30") == time(9, 30)


def test_money_is_a_decimal_never_a_float() -> None:
    value = parse_setting("MIN_ORDER_AMOUNT", "decimal", "100000.10")
    assert value == Decimal("100000.10")
    assert isinstance(value, Decimal)


def test_an_unreadable_value_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"WORK_TIME_END: cannot read '25:00' as time"):
        parse_setting("WORK_TIME_END", "time", "25:00")


def test_the_environment_overrides_other_sources_and_the_default() -> None:
    specs = {"STOCK_ID": SettingSpec(type="int", default=1)}
    settings = resolve_settings(specs, {"STOCK_ID": "3"}, ({"STOCK_ID": "2"},))
    assert settings["STOCK_ID"] == 3
    assert resolve_settings(specs, {}, ({"STOCK_ID": "2"},))["STOCK_ID"] == 2
    assert resolve_settings(specs, {}, ())["STOCK_ID"] == 1


def test_every_missing_required_setting_is_named_at_once() -> None:
    specs = {"A": SettingSpec(required=True), "B": SettingSpec(type="int", required=True)}
    with pytest.raises(ConfigError, match=r"setting A is required.*setting B is required"):
        resolve_settings(specs, {}, ())


def test_secret_settings_are_masked_and_kept_out_of_templates() -> None:
    specs = {"TOKEN": SettingSpec(secret=True), "NAME": SettingSpec(default="shop")}
    settings = resolve_settings(specs, {"TOKEN": "123:abc"}, ())
    assert "123:abc" not in repr(settings)
    assert settings.public() == {"NAME": "shop"}
