"""REGOS load of the orders bot: what customers cost the integration.

    .venv/bin/python -m bench.regos_load [--customers 1000] [--burst-customers 80]

* browsing: ``--customers`` new customers (in batches of 50 at once, in process) each open the
  catalog, all items, the next page and an item: ``Item/GetExt`` requests per distinct page
  (one request body = one page) and the requests of each method per customer; the client's
  rate limit is lifted here so only the caching is measured;
* the limit: ``--burst-customers`` new customers press /start at once (each costs one
  ``RetailCustomer/Get``: who is this Telegram user) with the production limiter (2 requests/s,
  burst 50) against the emulator enforcing the documented limit: requests REGOS refused with
  8213 (should be none) and the sustained rate after the burst.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections import Counter
from typing import Any

from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from actions.regos.emulator.core import EmuReply
from bench.flow import STEPS, BenchEmulator, Customer
from bench.inprocess import ORDERS, feeder, regos_environ
from engine.testing import TOKEN, Playground

BATCH = 50
BURST = 50


class TimedRegos(RegosEmulator):
    """The REGOS emulator noting when each request came and whether it was refused (8213)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(demo_shop(), **kwargs)
        self.log: list[tuple[float, str, bool]] = []

    async def handle(self, integration_key: str, method_path: str, body: bytes,
                     authorization: str | None = None) -> EmuReply:
        at = time.monotonic()
        reply = await super().handle(integration_key, method_path, body, authorization)
        self.log.append((at, self.requests[-1][0], b'"code": 8213' in reply.body
                         or b'"code":8213' in reply.body))
        return reply


async def browsing(customers: int) -> dict[str, Any]:
    regos = TimedRegos(rate_limit=False)
    async with RegosEmulatorServer(regos) as server:
        emu = BenchEmulator()
        async with Playground.open(ORDERS, environ=regos_environ(server.base_url),
                                   emulator=emu) as play:
            feed = feeder(play.app.dispatcher, play.app.bot)
            first = len(regos.requests)
            start = time.perf_counter()

            async def one(n: int) -> None:
                customer = Customer.new(emu, TOKEN, f"B{n}", feed)
                for press, expect in STEPS[:5]:
                    await customer.step(press, expect)

            for batch in range(0, customers, BATCH):
                await asyncio.gather(*(one(n) for n in range(batch, min(customers, batch + BATCH))))
            seconds = time.perf_counter() - start
            requests = regos.requests[first:]
    pages = Counter(json.dumps(p, sort_keys=True) for m, p in requests if m == "Item/GetExt")
    methods = Counter(m for m, _ in requests)
    return {"customers": customers, "seconds": seconds, "distinct_pages": len(pages),
            "getext_per_page_max": max(pages.values(), default=0),
            "per_customer": {m: round(c / customers, 3) for m, c in methods.most_common()}}


async def limit(customers: int) -> dict[str, Any]:
    regos = TimedRegos(rate_limit=True)
    async with RegosEmulatorServer(regos) as server:
        emu = BenchEmulator()
        env = {k: v for k, v in regos_environ(server.base_url).items()
               if k not in ("REGOS_RATE", "REGOS_BURST")}
        async with Playground.open(ORDERS, environ=env, emulator=emu) as play:
            feed = feeder(play.app.dispatcher, play.app.bot)
            await asyncio.sleep(3)  # the bucket refills after the start-up's few requests
            first = len(regos.log)
            await asyncio.gather(*(Customer.new(emu, TOKEN, f"L{n}", feed).step(*STEPS[0])
                                   for n in range(customers)))
            log = regos.log[first:]
    return {"limit_requests": len(log), "refused_8213": sum(1 for *_, refused in log if refused),
            "sustained_req_per_s": sustained_rate(sorted(at for at, _, _ in log), BURST)}


def sustained_rate(times: list[float], burst: int) -> float:
    """The least rate r such that every stretch [t_i, t_j] holds at most burst + r * (t_j - t_i)
    requests: what a token bucket of that burst would have needed."""
    rate = 0.0
    for i in range(len(times)):
        for j in range(i + burst, len(times)):
            rate = max(rate, (j - i + 1 - burst) / max(times[j] - times[i], 1e-9))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--burst-customers", type=int, default=80)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    row = asyncio.run(browsing(args.customers))
    row.update(asyncio.run(limit(args.burst_customers)))
    print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
