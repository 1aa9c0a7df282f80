"""Typed scenario settings: defaults, environment overrides, parsing, required ones."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

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


def test_the_default_time_zone_is_written_in_one_place_only() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [*(root / "engine").rglob("*.py"), *(root / "actions").rglob("*.py")]
    holders = sorted(str(p.relative_to(root)) for p in sources
                     if '"Asia/Tashkent"' in p.read_text(encoding="utf-8"))
    assert holders == ["engine/settings.py"]


def test_the_time_zone_is_the_timezone_setting_else_the_engine_default() -> None:
    from zoneinfo import ZoneInfo

    from engine.settings import DEFAULT_TIMEZONE, Settings, timezone_of

    assert timezone_of(Settings({})) == ZoneInfo(DEFAULT_TIMEZONE)
    assert timezone_of(Settings({"TIMEZONE": None})) == ZoneInfo(DEFAULT_TIMEZONE)
    london = ZoneInfo("Europe/London")
    assert timezone_of(Settings({"TIMEZONE": london})) == london


def test_templates_and_the_work_hours_use_the_engine_default_time_zone() -> None:
    from datetime import UTC, datetime

    from actions.shop.checkout import is_open
    from engine.settings import DEFAULT_TIMEZONE, Settings
    from engine.templates import format_datetime

    noon_utc = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    local = noon_utc.astimezone(ZoneInfo(DEFAULT_TIMEZONE))
    assert format_datetime(noon_utc, "%H:%M") == local.strftime("%H:%M")
    hours = {"WORK_TIME_ENABLED": True, "WORK_TIME_START": local.time(),
             "WORK_TIME_END": (local + timedelta(minutes=1)).time()}
    assert is_open(noon_utc, Settings(hours))
