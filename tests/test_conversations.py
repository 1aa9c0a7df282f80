"""Conversation tests in YAML: the reader, the runner's report, ``engine test``, recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.playground.conversations import load_conversation, run_file, to_yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path("tests/fixtures/conversations")
BROKEN = FIXTURES / "broken_expectation.yaml"


@pytest.fixture(autouse=True)
def _from_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


async def test_a_broken_expectation_reports_its_step_what_was_expected_and_the_chat() -> None:
    outcome = await run_file(BROKEN)
    assert not outcome.passed
    assert outcome.steps == 2
    assert outcome.report.splitlines() == [
        f"FAIL {BROKEN}",
        f"  {BROKEN}:8: send: 'abc'",
        "    expected: a message containing 'Thank you for your VIN'",
        "    the chat showed: ❌ This doesn't look like a VIN",
        "                     ",
        "                     A VIN has 17 characters, but this has 3. Check that no character "
        "is missing.",
        "                     ",
        "                     Please send the VIN again.",
        "    buttons: [❓ How it works]",
    ]


def test_engine_test_prints_the_report_and_exits_1_on_a_failure(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(BROKEN)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"FAIL {BROKEN}\n  {BROKEN}:8: send: 'abc'\n")
    assert "1 conversation(s): 0 passed, 1 failed" in err


def test_engine_test_exits_0_when_every_conversation_passes(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "tests/conversations/vin_report/start_en.yaml"]) == 0
    out, _ = capsys.readouterr()
    assert out == "ok   tests/conversations/vin_report/start_en.yaml (1 steps)\n"


def test_a_malformed_file_gets_positioned_diagnostics_with_did_you_mean() -> None:
    conv, diagnostics = load_conversation(FIXTURES / "malformed.yaml")
    assert conv is None
    assert [d.format() for d in diagnostics] == [
        f"{FIXTURES}/malformed.yaml:5:5: error[unknown-step]: unknown step 'expct' "
        "(did you mean 'expect'?)",
        f"{FIXTURES}/malformed.yaml:7:5: error[unknown-step]: unknown step 'clik' "
        "(did you mean 'click'?)",
        f"{FIXTURES}/malformed.yaml:10:7: error[unknown-expectation]: unknown expectation "
        "'text_contain' (did you mean 'text_contains'?)",
    ]


async def test_a_malformed_file_fails_with_its_diagnostics_instead_of_running() -> None:
    outcome = await run_file(FIXTURES / "malformed.yaml")
    assert not outcome.passed
    assert "malformed.yaml:7:5: error[unknown-step]" in outcome.report


async def test_a_recorded_conversation_becomes_a_file_that_passes(tmp_path: Path) -> None:
    recorded = [
        {"action": "send", "value": "/start", "shown": "🚗 VIN reports\n\nSend your car's VIN"},
        {"action": "send", "value": "WDBEA30D3HA391172", "shown": "✅ Request #1 received"},
        {"action": "click", "value": "📋 My requests", "user": "Alice"},
    ]
    text = to_yaml("vin_report", recorded, locale="en")
    path = tmp_path / "recorded.yaml"
    path.write_text(text, encoding="utf-8")
    conv, diagnostics = load_conversation(path)
    assert conv is not None, diagnostics
    assert [(s.action, s.value, s.expect) for s in conv.steps] == [
        ("send", "/start", {"text_contains": "🚗 VIN reports"}),
        ("send", "WDBEA30D3HA391172", {"text_contains": "✅ Request #1 received"}),
        ("click", "📋 My requests", {}),
    ]
    outcome = await run_file(path)
    assert outcome.passed, outcome.report


def test_recording_refuses_an_unknown_action() -> None:
    with pytest.raises(ValueError, match="unknown action 'dance'"):
        to_yaml("vin_report", [{"action": "dance"}])


async def test_a_package_expectation_is_named_with_did_you_mean_when_misspelt() -> None:
    outcome = await run_file(FIXTURES / "unknown_check.yaml")
    assert not outcome.passed
    assert ("expected: an expectation this bot offers, not 'order_creatd' "
            "(did you mean 'order_created'?)") in outcome.report


def test_start_at_an_unknown_window_is_positioned_with_did_you_mean() -> None:
    conv, diagnostics = load_conversation(FIXTURES / "unknown_window.yaml")
    assert conv is None
    assert [d.format() for d in diagnostics] == [
        f"{FIXTURES}/unknown_window.yaml:2:1: error[unknown-window]: no window 'cart.veiw' in "
        "orders.yaml (did you mean 'cart.view'?)",
    ]


def test_start_at_a_dialog_starts_at_its_first_window_with_the_fixtures_in_order() -> None:
    conv, diagnostics = load_conversation(FIXTURES / "unknown_fixture.yaml")
    assert conv is not None
    assert not diagnostics
    assert conv.start_at == ("cart", "view")
    assert [(f.line, f.kind) for f in conv.fixtures] == [(3, "card")]


async def test_an_unknown_fixture_kind_is_named_with_did_you_mean() -> None:
    outcome = await run_file(FIXTURES / "unknown_fixture.yaml")
    assert not outcome.passed
    assert outcome.report.splitlines()[1:] == [
        f"  {FIXTURES}/unknown_fixture.yaml:3: fixtures: card",
        "    expected: a fixture kind this bot offers, not 'card' (did you mean 'cart'?) "
        "(known: cart, customer)",
    ]


async def test_a_fixture_that_cannot_be_put_in_place_fails_at_its_line() -> None:
    outcome = await run_file(FIXTURES / "fixture_problems.yaml")  # 18.25 kg of cucumbers in stock
    assert not outcome.passed
    assert outcome.report.splitlines()[1:] == [
        f"  {FIXTURES}/fixture_problems.yaml:4: fixtures: cart",
        "    expected: fixture cart: item 2 × 40: out_of_stock",
    ]
