"""The VIN desk's outbox: what writing events in the state change's transaction costs, and how fast the
relay empties the outbox into a webhook receiver on 127.0.0.1.

    .venv/bin/python -m bench.tickets_outbox [--tickets 300] [--postgres]

For each back-end (SQLite; PostgreSQL too with ``--postgres``, a throwaway cluster as the tests start):
create + take of ``--tickets`` tickets, one after another, without webhooks and with one webhook URL
(milliseconds per state change, median and p95); then the relay sends the 2 x N events to an aiohttp
receiver that verifies each signature (events per second). Prints one JSON line per back-end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from actions.tickets.relay import OutboxRelay
from actions.tickets.store import (
    OutboxRouting,
    OutboxStore,
    TicketStore,
    create_database_engine,
    upgrade_database,
)
from actions.tickets.webhooks import SIGNATURE_HEADER, WebhookSender, verify

SECRET = "bench-secret-0123456789"
VIN = "1HGBH41JXMN109186"


async def state_changes(url: str, routing: OutboxRouting, tickets: int, first_customer: int) -> list[float]:
    store = TicketStore(create_database_engine(url), routing=routing)
    took: list[float] = []
    try:
        for n in range(tickets):
            started = time.perf_counter()
            created = await store.create(VIN, first_customer + n, 1, "Bench", max_per_hour=10)
            took.append(time.perf_counter() - started)
            assert created.ticket is not None
            started = time.perf_counter()
            assert (await store.take(created.ticket.id, 501, "Max")).ok
            took.append(time.perf_counter() - started)
    finally:
        await store.close()
    return took


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3)}


async def relay_throughput(url: str, receiver_url: str) -> dict[str, Any]:
    store = TicketStore(create_database_engine(url))
    try:
        async with aiohttp.ClientSession() as http:
            relay = OutboxRelay(OutboxStore(store.engine, store.clock),
                                {"webhook": WebhookSender(http, SECRET)})
            pending = (await relay.outbox.counts()).pending
            started = time.perf_counter()
            sent = await relay.run_once()
            elapsed = time.perf_counter() - started
    finally:
        await store.close()
    return {"events": sent, "pending_before": pending, "events_per_s": round(sent / elapsed, 1)}


async def one_backend(name: str, url: str, tickets: int, receiver_url: str) -> dict[str, Any]:
    await upgrade_database(url)
    plain = await state_changes(url, OutboxRouting(), tickets, 1_000_000)
    hooked = await state_changes(url, OutboxRouting((receiver_url,)), tickets, 2_000_000)
    return {"backend": name, "tickets": tickets, "state_change_without_webhooks": summary(plain),
            "state_change_with_one_webhook": summary(hooked),
            "relay": await relay_throughput(url, receiver_url)}


async def main(tickets: int, postgres: bool) -> None:
    received = {"ok": 0, "bad": 0}

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        good = verify(SECRET, request.headers.get(SIGNATURE_HEADER, ""), body, now=time.time())
        received["ok" if good else "bad"] += 1
        return web.Response(status=200 if good else 401)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            print(json.dumps(await one_backend("sqlite", url, tickets, receiver_url)), flush=True)
        if postgres:
            from tests.tickets.conftest import create_database
            from tests.tickets.pg_cluster import PostgresCluster, find_bin_dir

            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("PostgreSQL is not installed")
            cluster = PostgresCluster.start(bin_dir)
            try:
                url = await create_database(cluster, "bench")
                print(json.dumps(await one_backend("postgresql", url, tickets, receiver_url)), flush=True)
            finally:
                cluster.stop()
    finally:
        await runner.cleanup()
    print(json.dumps({"receiver": received}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.tickets, arguments.postgres))
