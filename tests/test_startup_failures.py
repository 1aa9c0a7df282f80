"""Start-up failures of ``python -m engine run`` / ``shell``: the real process, real emulators.

Whatever stops a bot from starting (Telegram, REGOS, the database, a malformed variable) ends
the process with a non-zero exit and one line on stderr saying what failed and what to do:
never a traceback, and never a secret (the bot token, the REGOS integration key, a database
password). Warnings logged on the way (``... WARNING name: ...``) may precede that line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from engine.playground.botapi import BotApiEmulator, EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
DEMO = "scenarios/demo.yaml"
ORDERS = "scenarios/orders.yaml"
VIN = "scenarios/vin_report.yaml"
TOKEN = "654321:AAH-start-up-test-token_0123456789abcdef"
#: a line of Python's logging as the CLI formats it (warnings may precede the failure line)
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (WARNING|INFO|DEBUG) \S+: ")
#: environment of the developer's shell that must not leak into these runs
FOREIGN = ("BOT_TOKEN", "TELEGRAM_API_URL", "REDIS_URL", "DATABASE_URL", "MANAGER_CHAT_ID",
           "MANAGER_IDS", "STARTUP_RETRY_SECONDS")


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Outcome:
    returncode: int | None
    stdout: str
    stderr: str

    def failure_lines(self) -> list[str]:
        """The lines of stderr that are not warnings logged on the way."""
        return [line for line in self.stderr.splitlines() if line.strip()
                and not LOG_RECORD.match(line)]

    def one_line(self) -> str:
        """The process failed with exactly one line on stderr; that line."""
        assert self.returncode not in (0, None), self.stderr
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.failure_lines()
        assert len(lines) == 1, self.stderr
        return lines[0]

    def hides(self, *secrets: str) -> None:
        for secret in secrets:
            assert secret not in self.stdout, self.stdout
            assert secret not in self.stderr, self.stderr


def environ(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in FOREIGN and not k.startswith("REGOS_")}
    env.update(values)
    return env


async def run_engine(scenario: str, env: dict[str, str], *, command: str = "run",
                     extra: tuple[str, ...] = (), timeout: float = 60) -> Outcome:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine", command, scenario, *extra, cwd=ROOT, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        pytest.fail(f"still running after {timeout} s:\n{err.decode()}")
    return Outcome(proc.returncode, out.decode(), err.decode())


async def wait_for(condition: Callable[[], object], timeout: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@dataclass
class Telegram:
    emulator: BotApiEmulator
    server: EmulatorServer


@dataclass
class Regos:
    emu: RegosEmulator
    server: RegosEmulatorServer

    def environ(self, **extra: str) -> dict[str, str]:
        return regos_environ(self.server.base_url, **extra)


def regos_environ(url: str, **extra: str) -> dict[str, str]:
    return {"REGOS_API_URL": url, "REGOS_INTEGRATION_KEY": DEMO_INTEGRATION_KEY,
            "REGOS_CONNECTED_INTEGRATION_ID": DEMO_CONNECTED_INTEGRATION_ID, "REGOS_TIMEOUT": "2",
            **extra}


@pytest.fixture
async def telegram() -> AsyncIterator[Telegram]:
    emulator = BotApiEmulator()
    emulator.add_bot(TOKEN, username="startup_bot")
    async with EmulatorServer(emulator) as server:
        yield Telegram(emulator, server)


@pytest.fixture
async def regos() -> AsyncIterator[Regos]:
    emu = RegosEmulator(demo_shop())
    async with RegosEmulatorServer(emu) as server:
        yield Regos(emu, server)


async def stop(proc: asyncio.subprocess.Process) -> Outcome:
    """SIGINT (a graceful stop) unless the process has already ended; what it printed."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return Outcome(proc.returncode, out.decode(), err.decode())


# --------------------------------------------------------------------------- REGOS


async def test_a_regos_error_in_the_optional_field_check_is_a_warning_and_the_bot_runs(
        telegram: Telegram, regos: Regos) -> None:
    regos.emu.faults.fail_next("Field/Get", ("error", 1001, "Internal error"))
    env = environ(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url, **regos.environ())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine", "run", ORDERS, cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await wait_for(lambda: telegram.emulator.calls_of("getUpdates")
                       or proc.returncode is not None)
    finally:
        outcome = await stop(proc)
    assert outcome.returncode == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert outcome.failure_lines() == [], outcome.stderr
    warning = [line for line in outcome.stderr.splitlines() if "Field/Get" in line]
    assert len(warning) == 1, outcome.stderr
    assert " WARNING " in warning[0], outcome.stderr
    assert "telegram_id" in warning[0]
    outcome.hides(TOKEN, DEMO_INTEGRATION_KEY)


async def test_regos_refusing_the_order_source_check_ends_with_one_line(
        telegram: Telegram, regos: Regos) -> None:
    regos.emu.faults.fail_next("DeliveryFrom/Get", ("error", 9006, "Access denied"))
    outcome = await run_engine(ORDERS, environ(
        BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url, **regos.environ()))
    line = outcome.one_line()
    assert "DeliveryFrom/Get" in line, line
    assert "9006" in line, line
    assert "REGOS_INTEGRATION_KEY" in line, "what to do: check the integration's key and rights"
    outcome.hides(TOKEN, DEMO_INTEGRATION_KEY)


async def test_unreachable_regos_is_retried_for_the_configured_time_then_one_line(
        telegram: Telegram) -> None:
    url = f"http://127.0.0.1:{closed_port()}/gateway/out"
    outcome = await run_engine(ORDERS, environ(
        BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url,
        **regos_environ(url, STARTUP_RETRY_SECONDS="2")))
    line = outcome.one_line()
    assert "REGOS" in line, line
    assert "2 s" in line, line
    assert "REGOS_API_URL" in line, "what to do: check the address and the network"
    retries = [x for x in outcome.stderr.splitlines() if LOG_RECORD.match(x) and "again" in x]
    assert retries, outcome.stderr
    outcome.hides(TOKEN, DEMO_INTEGRATION_KEY)


async def test_regos_coming_up_within_the_retry_time_lets_the_bot_start(
        telegram: Telegram) -> None:
    port = closed_port()
    env = environ(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url,
                  **regos_environ(f"http://127.0.0.1:{port}/gateway/out",
                                  STARTUP_RETRY_SECONDS="60"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine", "run", ORDERS, cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        while not any("again" in line for line in seen):
            raw = await asyncio.wait_for(proc.stderr.readline(), 40)
            assert raw, f"the process ended without retrying: {seen}"
            seen.append(raw.decode())
        async with RegosEmulatorServer(RegosEmulator(demo_shop()), port=port):
            await wait_for(lambda: telegram.emulator.calls_of("getUpdates"))
            outcome = await stop(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert outcome.returncode == 0, "".join(seen) + outcome.stderr
    assert "Traceback" not in "".join(seen) + outcome.stderr


async def test_a_shell_whose_regos_is_unreachable_ends_with_one_line(tmp_path: Path) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("/start\n:quit\n", encoding="utf-8")
    url = f"http://127.0.0.1:{closed_port()}/gateway/out"
    outcome = await run_engine(ORDERS, environ(**regos_environ(url)), command="shell",
                               extra=("--script", str(script)))
    line = outcome.one_line()
    assert "REGOS" in line, line
    assert "REGOS_API_URL" in line, line
    outcome.hides(DEMO_INTEGRATION_KEY)


# --------------------------------------------------------------------------- Telegram


async def test_unreachable_telegram_ends_with_one_line() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    outcome = await run_engine(DEMO, environ(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url,
                                             STARTUP_RETRY_SECONDS="1"))
    line = outcome.one_line()
    assert "Telegram" in line, line
    assert "TELEGRAM_API_URL" in line, line
    outcome.hides(TOKEN)


async def test_a_token_telegram_does_not_know_ends_with_one_line(telegram: Telegram) -> None:
    unknown = "999999:AAH-unknown-token_0123456789abcdefgh"
    outcome = await run_engine(DEMO, environ(BOT_TOKEN=unknown,
                                             TELEGRAM_API_URL=telegram.server.base_url))
    line = outcome.one_line()
    assert "BOT_TOKEN" in line, line
    assert "@BotFather" in line, line
    assert "401" in line or "Unauthorized" in line, line
    outcome.hides(unknown)


async def test_a_malformed_token_ends_with_one_line() -> None:
    malformed = "my secret token"
    outcome = await run_engine(DEMO, environ(BOT_TOKEN=malformed,
                                             TELEGRAM_API_URL=f"http://127.0.0.1:{closed_port()}"))
    line = outcome.one_line()
    assert "BOT_TOKEN" in line, line
    assert "@BotFather" in line, line
    outcome.hides(malformed)


async def test_a_malformed_telegram_api_url_ends_with_one_line_without_the_token() -> None:
    outcome = await run_engine(DEMO, environ(BOT_TOKEN=TOKEN, TELEGRAM_API_URL="ht!tp:/bad url"))
    line = outcome.one_line()
    assert "TELEGRAM_API_URL" in line, line
    assert "https://api.telegram.org" in line, line
    outcome.hides(TOKEN, TOKEN.split(":", 1)[1])


# --------------------------------------------------------------------------- the ticket database


async def test_a_mysql_database_url_is_refused_with_one_line_without_the_password(
        telegram: Telegram) -> None:
    password = "Pa55-mysql-secret"
    outcome = await run_engine(VIN, environ(
        BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url, MANAGER_CHAT_ID="-100",
        DATABASE_URL=f"mysql://vin:{password}@127.0.0.1:{closed_port()}/vin"))
    line = outcome.one_line()
    assert "DATABASE_URL" in line, line
    assert "postgresql+asyncpg://" in line, line
    outcome.hides(TOKEN, password)


async def test_an_unreachable_postgresql_ends_with_one_line_without_the_password(
        telegram: Telegram) -> None:
    password = "Pa55-postgres-secret"
    outcome = await run_engine(VIN, environ(
        BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.server.base_url, MANAGER_CHAT_ID="-100",
        DATABASE_URL=f"postgresql+asyncpg://vin:{password}@127.0.0.1:{closed_port()}/vin"))
    line = outcome.one_line()
    assert "DATABASE_URL" in line, line
    outcome.hides(TOKEN, password)
