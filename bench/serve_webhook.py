"""``serve`` in webhook mode with Redis: one process, then two behind a round-robin balancer.

    .venv/bin/python -m bench.serve_webhook --redis URL [--users 50] [--rate 300] [--processes 1,2]

This process serves the Bot API emulator (webhook mode: each update POSTed to the bot's webhook,
one at a time, as the emulator delivers them) and the REGOS emulator (rate limit lifted) on
loopback, a small balancer that forwards each webhook request to the next process in turn (as
nginx would), and plays the customers. For each process count, ``python -m engine serve`` runs the
orders bot from a DEPLOY.yaml with ``redis_url`` (FSM state, event isolation, dedupe shared) and
``TELEGRAM_PACING=off`` (the emulator sets no limits). Two measurements per count:

* throughput: ``--users`` customers browse at once with no pause (updates/s, latencies, CPU of
  the serve processes per update);
* a steady ``--rate`` of updates/s offered by 3×rate/10 customers that each wait for a shared
  pacer before every step: the rate reached and p99 latency (send → the answer on screen).

Prints one JSON line per process count. The driver (emulators, balancer, customers) runs in this
process and competes for the same cores as the serve processes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from bench.e2e import ROOT, TOKEN, cpu_seconds, peak_rss_mb
from bench.flow import STEPS, UPDATES_PER_CUSTOMER, BenchEmulator, Customer
from bench.inprocess import regos_environ
from bench.run import free_port
from engine.playground.botapi import SECRET_HEADER, EmulatorServer

MIN_UPDATES = 1600
STEADY_SECONDS = 8.0
DEPLOY = """\
public_url: ${PUBLIC_URL}
webhook_secret: ${WEBHOOK_SECRET}
redis_url: ${REDIS_URL}
bots:
  shop:
    scenario: %s
    token: ${BOT_TOKEN}
    settings:
      REGOS_API_URL: ${REGOS_API_URL}
      REGOS_INTEGRATION_KEY: ${REGOS_INTEGRATION_KEY}
      REGOS_CONNECTED_INTEGRATION_ID: ${REGOS_CONNECTED_INTEGRATION_ID}
      REGOS_RATE: "100000"
      REGOS_BURST: "100000"
"""


class Balancer:
    """Each webhook request to the next process in turn (one kept-alive session)."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._turn = itertools.count()
        self.http: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        assert self.http is not None
        assert self.targets
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k in ("Content-Type", SECRET_HEADER)}
        target = self.targets[next(self._turn) % len(self.targets)]
        async with self.http.post(target + request.path, data=io.BytesIO(body), headers=headers) as reply:
            return web.Response(status=reply.status, body=await reply.read())


class Pacer:
    """Lets ``rate`` steps a second through, shared by every customer."""

    def __init__(self, rate: float) -> None:
        self.interval, self.next = 1.0 / rate, time.perf_counter()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.perf_counter()
            self.next = max(self.next + self.interval, now)
            delay = self.next - now
        if delay > 0:
            await asyncio.sleep(delay)


async def start_processes(count: int, env: dict[str, str], deploy: Path, folder: Path,
                          emu: BenchEmulator) -> tuple[list[asyncio.subprocess.Process], list[str]]:
    procs, targets = [], []
    for n in range(count):
        port = free_port()
        before = len(emu.calls_of("setWebhook"))
        with (folder / f"serve-{count}-{n}.log").open("wb") as log:
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "engine", "serve", str(deploy), "--host", "127.0.0.1",
                "--port", str(port), cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=log))
        deadline = time.monotonic() + 120
        while len(emu.calls_of("setWebhook")) <= before:
            if procs[-1].returncode is not None or time.monotonic() > deadline:
                tail = (folder / f"serve-{count}-{n}.log").read_text()[-2000:]
                raise RuntimeError(f"serve did not start: {tail}")
            await asyncio.sleep(0.05)
        targets.append(f"http://127.0.0.1:{port}")
    await asyncio.sleep(0.5)  # each listens once its webhook is set
    return procs, targets


async def browse_all(emu: BenchEmulator, users: int, rounds: int, tag: str,
                     pacer: Pacer | None = None) -> list[float]:
    async def slot(n: int) -> list[float]:
        latencies: list[float] = []
        for r in range(rounds):
            customer = Customer.new(emu, TOKEN, f"{tag}{n}r{r}")
            for press, expect in STEPS:
                if pacer is not None:
                    await pacer.wait()
                await customer.step(press, expect)
            latencies += customer.latencies
        return latencies

    parts = await asyncio.gather(*(slot(n) for n in range(users)))
    return [x for part in parts for x in part]


def quantiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000}


async def measure(redis_url: str, users: int, rate: float, counts: list[int]) -> list[dict[str, Any]]:
    logging.disable(logging.WARNING)
    emu = BenchEmulator(allow_http_webhooks=True)  # one world for every run: update ids go on
    emu.add_bot(TOKEN, username="bench_shop_bot", first_name="Shop")
    balancer = Balancer()
    front = web.Application()
    front.router.add_post("/webhook/{bot}", balancer.forward)
    runner = web.AppRunner(front, access_log=None)
    await runner.setup()
    front_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", front_port).start()
    rows: list[dict[str, Any]] = []
    regos = RegosEmulator(demo_shop(), rate_limit=False)
    try:
        async with RegosEmulatorServer(regos) as regos_server, EmulatorServer(emu) as tg, \
                aiohttp.ClientSession() as http:
            balancer.http = http
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                deploy = folder / "DEPLOY.yaml"
                deploy.write_text(DEPLOY % (ROOT / "scenarios" / "orders.yaml"), encoding="utf-8")
                env = {**os.environ, **regos_environ(regos_server.base_url), "BOT_TOKEN": TOKEN,
                       "TELEGRAM_API_URL": tg.base_url, "REDIS_URL": redis_url,
                       "PUBLIC_URL": f"http://127.0.0.1:{front_port}", "TELEGRAM_PACING": "off",
                       "WEBHOOK_SECRET": "bench-master-secret-0123456789abcdef",
                       "STARTUP_RETRY_SECONDS": "0"}
                for count in counts:
                    rows.append(await one_count(count, env, deploy, folder, emu, balancer, users, rate))
    finally:
        await runner.cleanup()
    return rows


async def one_count(count: int, env: dict[str, str], deploy: Path, folder: Path, emu: BenchEmulator,
                    balancer: Balancer, users: int, rate: float) -> dict[str, Any]:
    procs, targets = await start_processes(count, env, deploy, folder, emu)
    balancer.targets = targets
    try:
        await browse_all(emu, 5, 1, f"warm{count}-")
        rounds = max(1, -(-MIN_UPDATES // (users * UPDATES_PER_CUSTOMER)))
        cpu, start = sum(cpu_seconds(p.pid) for p in procs), time.perf_counter()
        latencies = await browse_all(emu, users, rounds, f"t{count}-")
        wall = time.perf_counter() - start
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu
        row: dict[str, Any] = {"processes": count, "users": users, "updates": len(latencies),
                               "updates_per_s": len(latencies) / wall,
                               "cpu_ms_per_update": cpu / len(latencies) * 1000,
                               **quantiles(latencies)}
        steady_users = max(10, int(rate * 0.3))
        steps = int(rate * STEADY_SECONDS)
        steady_rounds = max(1, -(-steps // (steady_users * UPDATES_PER_CUSTOMER)))
        start = time.perf_counter()
        steady = await browse_all(emu, steady_users, steady_rounds, f"s{count}-", Pacer(rate))
        row["steady_offered_per_s"] = rate
        row["steady_reached_per_s"] = len(steady) / (time.perf_counter() - start)
        row["steady_p99_ms"] = quantiles(steady)["p99_ms"]
        row["peak_rss_mb"] = max(peak_rss_mb(p.pid) for p in procs)
        return row
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 40)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True, help="redis:// URL of a throwaway redis-server")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    for row in asyncio.run(measure(args.redis, args.users, args.rate, counts)):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
