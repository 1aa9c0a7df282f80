"""The golden corpus of ``python -m engine check``: one small broken scenario per mistake.

Each ``tests/fixtures/bad/<case>.yaml`` holds one kind of mistake (a few hold several independent
ones, to show that a single run reports them all, sorted by line: schema errors do not hide the
link errors of the parts that validated); ``<case>.expected`` is the exact
text ``python -m engine check tests/fixtures/bad/<case>.yaml`` must print on stdout when run from
the repository root. The expected files are hand-written specifications, not recordings: every
line was checked to point at the offending token and to say the right thing. There is no
regeneration switch on purpose; when the engine's wording changes, edit the expected file by hand.

Cases that expose an engine bug are marked ``xfail(strict=True)`` with the bug as the reason: their
expected file says what *should* be printed, so fixing the bug turns them into XPASS (a failure)
and the marker must be removed.

The scenarios share ``tests/fixtures/bad/tpl/base`` (ru/uz/en) and the action package
``tests.fixtures.actions_fixture``; ``_valid.yaml`` is the same shape without a mistake (the CLI
skips ``_``-files in folders) and must check clean, so every diagnostic of a case comes from its
mistake and not from the fixtures. The template folder is ``tpl/`` rather than ``templates/``: a
``templates/`` folder next to the scenarios would make it their project root (see
``engine.scenario.pipeline.find_project_root``), and ``templates:``/``actions:`` would then
resolve against ``tests/fixtures/bad/`` instead of the repository root.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.scenario.pipeline import load_bundle

ROOT = Path(__file__).resolve().parent.parent
BAD = Path("tests", "fixtures", "bad")  # relative: diagnostics print paths relative to the cwd
CASES = sorted(p.stem for p in (ROOT / BAD).glob("*.yaml") if not p.name.startswith("_"))

# --- known engine bugs: the expected file holds the correct output -----------------------------

# Cases that expose an engine bug are listed here with the bug as the reason (none at present).
XFAIL: dict[str, str] = {}
COLUMN_ONLY = sorted(XFAIL)

_POSITION = re.compile(r"^(\S+?):(\d+):(\d+): ", re.MULTILINE)


def _param(case: str) -> object:
    if case in XFAIL:
        return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=XFAIL[case]))
    return case


def _expected(case: str) -> str:
    return (ROOT / BAD / f"{case}.expected").read_text(encoding="utf-8")


def _check(case: str) -> str:
    """What ``check`` prints for one case, produced in process exactly as the CLI formats it."""
    _, diagnostics = load_bundle(BAD / f"{case}.yaml")
    return "".join(d.format() + "\n" for d in diagnostics)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "check", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )


def _without_columns(text: str) -> str:
    return _POSITION.sub(r"\1:\2: ", text)


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# --- the corpus itself ---------------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    yamls = {p.stem for p in (ROOT / BAD).glob("*.yaml") if not p.name.startswith("_")}
    expected = {p.stem for p in (ROOT / BAD).glob("*.expected")}
    assert yamls == expected
    assert len(CASES) >= 30
    assert set(XFAIL) <= set(CASES)


def test_shared_fixtures_are_valid() -> None:
    bundle, diagnostics = load_bundle(BAD / "_valid.yaml")
    assert [d.format() for d in diagnostics] == []
    assert bundle is not None
    assert bundle.registry.names() == ["fx.notes.save", "fx.odd.stamp", "fx.shop.add",
                                       "fx.shop.items"]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden(case: str) -> None:
    assert _check(case) == _expected(case)


@pytest.mark.parametrize("case", COLUMN_ONLY)
def test_golden_lines_and_messages(case: str) -> None:
    """Cases xfailed only for their columns still guard files, lines, codes and messages."""
    assert _without_columns(_check(case)) == _without_columns(_expected(case))


# --- the shipped demo, broken the way an author would break it -----------------------------------


def _check_demo_variant(tmp_path: Path, old: str, new: str) -> tuple[str, list[str]]:
    text = (ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8")
    assert old in text
    variant = tmp_path / "demo.yaml"
    variant.write_text(text.replace(old, new), encoding="utf-8")
    bundle, diagnostics = load_bundle(variant, root=ROOT)
    assert bundle is None
    return text.replace(old, new), [d.format() for d in diagnostics]


def test_demo_without_its_counter_fails_check(tmp_path: Path) -> None:
    counter = "          - {type: counter, id: qty, min: 1, max: 9}\n"
    text, found = _check_demo_variant(tmp_path, counter, "")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "counters.qty" in t)
    col = text.splitlines()[line - 1].index('"{{ counters.qty }}"') + 1
    assert found == [
        f"{tmp_path / 'demo.yaml'}:{line}:{col}: error[unknown-counter]: argument 'qty' reads "
        "'counters.qty', but this window has no counter 'qty'\n"
        "    hint: add '{type: counter, id: qty}' to this window's keyboard"]


def test_demo_without_a_start_handler_fails_check(tmp_path: Path) -> None:
    text, found = _check_demo_variant(tmp_path, "  - {command: start, go: menu}\n",
                                      "  - {command: help, go: menu}\n")
    line = text.splitlines().index("handlers:") + 1
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'demo.yaml'}:{line}:1: error[missing-start]: "
                               "no handler answers /start in a private chat")


# --- the command line ----------------------------------------------------------------------------


def test_cli_prints_the_expected_lines() -> None:
    proc = _run(str(BAD / "unknown_widget_type.yaml"))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert proc.stdout == _expected("unknown_widget_type")
    assert proc.stderr == "1 scenario(s) checked: 1 error(s), 0 warning(s)\n"


def test_cli_reports_schema_and_link_errors_in_one_run() -> None:
    """A window the schema refuses does not hide an unknown action in another window."""
    proc = _run(str(BAD / "schema_and_link_errors.yaml"))
    assert proc.returncode == 1
    found = re.findall(r"^(\S+):(\d+):(\d+): error\[([a-z-]+)\]", proc.stdout, re.MULTILINE)
    assert (str(BAD / "schema_and_link_errors.yaml"), "30", "41", "invalid-value") in found
    assert (str(BAD / "schema_and_link_errors.yaml"), "24", "21", "unknown-action") in found


def test_cli_warnings_alone_exit_zero() -> None:
    proc = _run(str(BAD / "unreachable_window.yaml"))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0
    assert proc.stdout == _expected("unreachable_window")


def test_cli_shipped_scenarios_are_clean() -> None:
    proc = _run("scenarios/")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "0 error(s), 0 warning(s)" in proc.stderr


def test_cli_json_format() -> None:
    cases = ["unknown_widget_type", "unreachable_window"]
    proc = _run("--format", "json", *(str(BAD / f"{c}.yaml") for c in cases))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert proc.stderr == ""  # no summary: stdout is for tools
    items = json.loads(proc.stdout)
    assert isinstance(items, list)
    assert len(items) == 2
    fields = {"file", "line", "col", "code", "message", "severity", "hint"}
    for item in items:
        assert set(item) == fields
        assert isinstance(item["line"], int)
        assert isinstance(item["col"], int)
        assert item["severity"] in ("error", "warning")
        assert item["hint"] is None or isinstance(item["hint"], str)
    as_text = "".join(
        f"{i['file']}:{i['line']}:{i['col']}: {i['severity']}[{i['code']}]: {i['message']}\n"
        + (f"    hint: {i['hint']}\n" if i["hint"] else "")
        for i in items
    )
    assert as_text == "".join(_expected(c) for c in cases)


@pytest.fixture(scope="module")
def whole_corpus() -> subprocess.CompletedProcess[str]:
    """One run over every case (named one by one: the folder also holds tpl/**/labels.yaml)."""
    return _run(*(str(BAD / f"{case}.yaml") for case in CASES))


def test_cli_never_prints_a_traceback(whole_corpus: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in whole_corpus.stderr
    assert "Traceback" not in whole_corpus.stdout
    assert whole_corpus.returncode != 0


def test_cli_checks_every_file_of_the_corpus(
    whole_corpus: subprocess.CompletedProcess[str],
) -> None:
    assert whole_corpus.returncode == 1
    assert f"{len(CASES)} scenario(s) checked" in whole_corpus.stderr
    assert whole_corpus.stdout.count("\n") >= len(CASES)
