"""DEPLOY.yaml is read and checked like a scenario: positioned diagnostics, ${VAR} references,
secrets masked, and ``engine check`` takes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.masking import mask
from engine.serve.config import load_deploy

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "DEPLOY.yaml"
    path.write_text(text.replace("DEMO", str(DEMO)), encoding="utf-8")
    return path


def codes(diagnostics: list) -> list[tuple[int, int, str]]:  # type: ignore[type-arg]
    return [(d.line, d.col, d.code) for d in diagnostics]


def test_references_are_resolved_from_the_environment_and_tokens_are_masked(tmp_path: Path) -> None:
    path = write(tmp_path, """\
public_url: https://${HOST}/tg
bots:
  cafe:
    scenario: DEMO
    token: ${CAFE_TOKEN}
    settings: {CAFE_NAME: "Corner ${WORD}", WORK: true, LIMIT: 5}
""")
    token = "123456:AAE-deploy-config-secret-token-value"
    config, diagnostics = load_deploy(path, {"HOST": "bots.example.org", "CAFE_TOKEN": token,
                                             "WORD": "café"})
    assert diagnostics == []
    assert config is not None
    assert config.public_url == "https://bots.example.org/tg"
    (bot,) = config.bots
    assert (bot.name, bot.scenario, bot.token) == ("cafe", DEMO, token)
    assert bot.environ == {"CAFE_NAME": "Corner café", "WORK": "true", "LIMIT": "5"}
    assert token not in mask(f"starting with {token}")


def test_an_unset_variable_is_reported_where_it_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "bots:\n  cafe:\n    scenario: DEMO\n    token: ${CAFE_TOKEN}\n")
    config, diagnostics = load_deploy(path, {})
    assert config is None
    assert codes(diagnostics) == [(4, 12, "unset-variable")]
    assert "CAFE_TOKEN is not set" in diagnostics[0].message


def test_schema_problems_are_positioned_with_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, """\
bots:
  cafe:
    scenario: DEMO
    tokne: x
  Bad Name:
    scenario: missing.yaml
    token: x
""")
    config, diagnostics = load_deploy(path)
    assert config is None
    found = {(d.line, d.code): d.message for d in diagnostics}
    assert "did you mean 'token'" in found[(4, "unknown-key")]
    assert "missing required key 'token'" in found[(2, "missing-key")]
    assert (5, "invalid-id") in found


def test_a_missing_scenario_file_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bots:\n  cafe:\n    scenario: nowhere.yaml\n    token: x\n")
    _, diagnostics = load_deploy(path)
    assert codes(diagnostics) == [(3, 15, "file-read")]


def test_engine_check_validates_a_deploy_file_and_the_scenarios_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    good = write(tmp_path, "bots:\n  cafe: {scenario: DEMO, token: '${CAFE_TOKEN}'}\n")
    assert main(["check", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("public_url: x\nbots:\n  cafe: {scenario: DEMO, token: t, setings: {}}\n")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:3:" in out
    assert "'setings' is not a valid key for a bot (did you mean 'settings'?)" in out


def test_a_deployment_of_integrations_only_is_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    good = write(tmp_path, "integrations:\n  shops: {package: actions.shop, scenario: DEMO}\n")
    assert main(["check", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("integrations:\n  shops: {package: actions.shop, scenaro: x}\n")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "'scenaro' is not a valid key for a bot integration (did you mean 'scenario'?)" in out


def test_a_setting_the_scenario_nearly_declares_is_a_warning_with_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, """\
bots:
  cafe:
    scenario: DEMO
    token: x
    settings: {CAFE_NAM: Corner, DATABASE_URL: "sqlite+aiosqlite:///x.db"}
""")
    assert main(["check", str(path)]) == 0
    assert main(["check", "--strict", str(path)]) == 1
    out = capsys.readouterr().out
    assert (f"{path}:5:16: warning[unknown-setting]: 'CAFE_NAM' is not a setting of scenario "
            "'demo' (did you mean 'CAFE_NAME'?)") in out
    assert "DATABASE_URL" not in out


def test_the_shipped_example_deployment_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    example = ROOT / "deploy" / "DEPLOY.example.yaml"
    assert main(["check", "--strict", str(example)]) == 0, capsys.readouterr().out
