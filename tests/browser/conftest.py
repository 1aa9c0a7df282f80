"""Chromium driven by Playwright, and the real playground server on a copy of the shipped bots.

Chromium is Debian's package (tools/install-system-deps.sh installs it; CI runs that): no browser is
downloaded. A missing Chromium fails these tests with one clear line; nothing is skipped.
Screenshots go to tests/artifacts/ (ignored by git), named after the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATIC = ROOT / "engine" / "playground" / "web" / "static"
START_TIMEOUT = 60.0
PANEL_PASSWORD = "browser-test-panel-password"  # the VIN desk's demo account 'admin' (its sandbox)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system, or "
                    "tools/install-system-deps.sh as root)", pytrace=False)
    # launch() gives Chromium a fresh temporary profile (user-data dir) of its own, removed on close
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Saves what the page shows now as tests/artifacts/NAME.png (kept after the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """``python -m engine playground`` running on a copy of scenarios/ and templates/."""

    url: str
    project: Path
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def copy_project(target: Path) -> Path:
    for folder in ("scenarios", "templates"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    project = copy_project(tmp_path_factory.mktemp("playground"))
    port = free_port()
    log = project / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PANEL_DEMO_PASSWORD": PANEL_PASSWORD}
    for key in [k for k in env if k.startswith(("BOT_TOKEN", "REGOS_"))]:
        env.pop(key)
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine", "playground", "--port", str(port),
             "scenarios/orders.yaml", "scenarios/vin_report.yaml"],
            cwd=project, env={**env, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
            text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    running = Server(url, project, process, log)
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the playground exited ({process.returncode}):\n{running.output()}",
                            pytrace=False)
            if url in running.output():
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                pytest.fail(f"the playground did not start in {START_TIMEOUT:.0f} s:\n{running.output()}",
                            pytrace=False)
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
