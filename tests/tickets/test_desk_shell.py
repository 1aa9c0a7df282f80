"""``python -m engine shell scenarios/vin_report.yaml``: one person plays the customer and a manager
on a throwaway SQLite database, with no token, database or group configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """\
WDBEA30D3HA391172
:user Manager
:group Managers
1
:reply 1 :file scenarios/samples/report.pdf
:wait 20m
:user Alice
:private
/status
:quit
"""


def test_the_shell_plays_customer_and_manager() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "MANAGER_CHAT_ID", "MANAGER_IDS", "REDIS_URL")}
    env["SHELL_LANG"] = "ru"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "shell", "scenarios/vin_report.yaml"],
        input=SCRIPT, capture_output=True, text=True, timeout=90, cwd=ROOT, env=env, check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "The managers' group is 'Managers'" in out
    assert "Заявка №1 принята" in out
    assert "🙋 Взять" in out
    assert "В работе: Manager" in out
    assert "[document: report.pdf" in out
    assert "Отчёт по заявке №1 доставлен клиенту ✅" in out
    assert "background jobs run: sla" in out
    assert "№1 · WDBEA30D3HA391172 · ✅ отчёт отправлен" in out
    assert "!! bot called" not in out  # nothing the emulator refused
