"""End to end: a bot as its own process, long polling the Bot API emulator over HTTP.

    .venv/bin/python -m bench.e2e --bot engine|handwritten [--redis URL] [--users 10,50,200]

This process serves the Bot API emulator and the REGOS emulator (rate limit lifted: the REGOS
figures are measured apart) on loopback and plays the customers; the bot is started as
production starts it (``python -m engine run scenarios/orders.yaml``, or the hand-written
bot's ``main``). For each N, N customers browse at once (each round a new customer, no pause
between updates) and the bot process's own CPU time (from /proc), the Bot API calls it made,
latencies and its peak RSS (VmHWM) are taken. Prints one JSON line per N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from actions.regos.emulator import DEMO_INTEGRATION_KEY, RegosEmulator, RegosEmulatorServer, demo_shop
from bench.flow import STEP_TIMEOUT, UPDATES_PER_CUSTOMER, BenchEmulator, Customer
from bench.inprocess import regos_environ
from engine.playground.botapi import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "777001:BENCH-E2E"
WARMUP_CUSTOMERS = 5
MIN_UPDATES = 800  # per N: enough rounds for stable percentiles


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_command(which: str) -> list[str]:
    if which == "engine":
        return [sys.executable, "-m", "engine", "run", str(ROOT / "scenarios" / "orders.yaml")]
    return [sys.executable, "-m", "bench.handwritten_bot"]


@contextlib.contextmanager
def bot_process(which: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(bot_command(which), env={**os.environ, **env}, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def wait_polling(emu: BenchEmulator, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not emu.calls_of("getUpdates"):
        if proc.poll() is not None:
            tail = log.read_bytes()[-2000:].decode(errors="replace")  # noqa: ASYNC240 (it has ended)
            raise RuntimeError(f"the bot exited ({proc.returncode}): {tail}")
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not start polling")
        await asyncio.sleep(0.05)


async def crowd(emu: BenchEmulator, users: int, rounds: int, tag: str) -> list[float]:
    async def slot(n: int) -> list[float]:
        latencies: list[float] = []
        for r in range(rounds):
            customer = Customer.new(emu, TOKEN, f"{tag}{n}r{r}")
            await customer.browse()
            latencies += customer.latencies
        return latencies

    results = await asyncio.gather(*(slot(n) for n in range(users)))
    return [x for part in results for x in part]


async def measure(which: str, redis_url: str | None, users_list: list[int]) -> list[dict[str, Any]]:
    logging.disable(logging.WARNING)
    regos = RegosEmulator(demo_shop(), rate_limit=False)
    emu = BenchEmulator()
    emu.add_bot(TOKEN, username="bench_shop_bot", first_name="Shop")
    rows: list[dict[str, Any]] = []
    async with RegosEmulatorServer(regos) as regos_server, EmulatorServer(emu) as tg_server:
        env = {**regos_environ(regos_server.base_url), "BOT_TOKEN": TOKEN,
               "TELEGRAM_API_URL": tg_server.base_url, "REGOS_INTEGRATION_KEY": DEMO_INTEGRATION_KEY,
               # the emulator sets no limits and the hand-written bot paces nothing: the engine's
               # Telegram pacing (1 message/s per chat, 30/s per bot) would measure Telegram's
               # limits, not the engine (429s are still waited out)
               "TELEGRAM_PACING": "off"}
        if redis_url:
            env["REDIS_URL"] = redis_url
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "bot.log"
            with bot_process(which, env, log) as proc:
                await wait_polling(emu, proc, log)
                await crowd(emu, WARMUP_CUSTOMERS, 1, "warm")
                for users in users_list:
                    rounds = max(1, -(-MIN_UPDATES // (users * UPDATES_PER_CUSTOMER)))
                    calls, cpu = emu.api_calls(), cpu_seconds(proc.pid)
                    start = time.perf_counter()
                    try:
                        latencies = await crowd(emu, users, rounds, f"n{users}u")
                    except TimeoutError:
                        tail = log.read_bytes()[-3000:].decode(errors="replace")
                        print(f"a customer got no answer in {STEP_TIMEOUT:.0f} s; the bot's log "
                              f"ends:\n{tail}", file=sys.stderr)
                        raise
                    wall = time.perf_counter() - start
                    cpu, calls = cpu_seconds(proc.pid) - cpu, emu.api_calls() - calls
                    updates = len(latencies)
                    cuts = statistics.quantiles(latencies, n=100)
                    rows.append({"bot": which, "storage": "redis" if redis_url else "memory",
                                 "users": users, "updates": updates,
                                 "updates_per_s": updates / wall,
                                 "p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000,
                                 "p99_ms": cuts[98] * 1000,
                                 "cpu_ms_per_update": cpu / updates * 1000,
                                 "calls_per_update": calls / updates,
                                 "peak_rss_mb": peak_rss_mb(proc.pid)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", choices=("engine", "handwritten"), required=True)
    parser.add_argument("--redis", default=None, help="redis:// URL (unset: process memory)")
    parser.add_argument("--users", default="10,50,200")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]
    for row in asyncio.run(measure(args.bot, args.redis, users)):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
