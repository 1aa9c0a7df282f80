"""The main job: ``python -m engine shell scenarios/orders.yaml`` with no REGOS account runs the
real bot against the REGOS emulator's demo shop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_shell_runs_the_orders_bot_on_the_demo_shop() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGOS_", "REDIS_URL"))}
    env["SHELL_LANG"] = "en"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "shell", "scenarios/orders.yaml"],
        input="/start\n1\n1\n:quit\n", capture_output=True, text=True, timeout=90, cwd=ROOT,
        env=env, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "using the REGOS emulator's demo shop" in done.stderr
    assert "Hello, Alice!" in done.stdout
    assert "Found: " in done.stdout, done.stdout
    assert "1 / " in done.stdout
