"""``python -m engine check --i18n``: the translations report."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = "tests/fixtures/i18n/polyglot.yaml"


@pytest.fixture(autouse=True)
def _from_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_missing_extra_and_differing_translations_are_reported_per_locale(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--i18n", FIXTURE]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "polyglot [en] extra label 'home': not in the default locale 'ru'",
        "polyglot [en] variables template 'home': does not use user",
        "polyglot [uz] missing label 'back': falls back to 'ru'",
        "polyglot [uz] missing template 'help': falls back to 'ru'",
        "translations: 1 scenario(s), 4 finding(s)",
    ]


def test_strict_fails_when_anything_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--i18n", "--strict", FIXTURE]) == 1


def test_the_shipped_bots_are_complete_in_every_locale(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--i18n", "--strict", "scenarios/"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(", 0 finding(s)")
