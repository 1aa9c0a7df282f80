"""Panel accounts from the command line (the password on standard input, never an argument) and the
playground's demo account."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actions.tickets.panel.__main__ import main
from engine.playground.web.hub import Hub

ROOT = Path(__file__).resolve().parents[3]


def command(args: list[str], password: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "actions.tickets.panel", *args], input=password + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"})


def test_an_account_is_created_once_and_its_password_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "desk.db"
    made = command(["create-user", "ops"], "a long enough secret", database)  # the real entry point
    assert made.returncode == 0, made.stderr
    assert "a long enough secret" not in made.stdout + made.stderr
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")

    def run(args: list[str], password: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        return main(args)

    assert run(["create-user", "ops"], "another long secret") == 1
    assert "exists" in capsys.readouterr().err
    assert run(["set-password", "ops"], "another long secret") == 0
    assert run(["set-password", "nobody"], "another long secret") == 1
    assert run(["create-user", "new"], "short") == 2  # under 12 characters
    assert run(["create-user", "new"], "x" * 257) == 2  # longer than the log-in form reads
    assert run(["create-user", "bad name!"], "a long enough secret") == 2


async def test_the_playground_offers_a_demo_account_and_says_its_password() -> None:
    hub = await Hub.start([ROOT / "scenarios" / "vin_report.yaml"], {}, on_event=lambda _: None)
    try:
        note = next(n for n in hub.bot("vin_report").notes if "/admin" in n)
        assert "'admin'" in note
        assert len(note.rsplit(" ", 1)[1].rstrip(".")) >= 12
    finally:
        await hub.close()
