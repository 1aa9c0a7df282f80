"""Figures for the orders bot (printed, never asserted): a customer's path through the shop.

    .venv/bin/python bench/orders_bench.py [--users N]

Each simulated customer opens the catalog, pages, opens an item, adds it, shares the phone
and places an order, through the real dispatcher, the Bot API emulator (in process) and the
REGOS emulator over loopback HTTP (both rate limits lifted, so the time is the bot's own cost).
Printed: time per update, REGOS calls per customer (the catalog cache keeps them few), what that
means at the documented limit of 2 requests/s per integration, and peak traced memory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import tracemalloc
from pathlib import Path

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from engine.testing import Playground

ORDERS = Path(__file__).resolve().parent.parent / "scenarios" / "orders.yaml"


async def run(users: int) -> None:
    emu = RegosEmulator(demo_shop(), rate_limit=False)
    async with RegosEmulatorServer(emu) as server:
        environ = {"REGOS_API_URL": server.base_url, "REGOS_INTEGRATION_KEY": DEMO_INTEGRATION_KEY,
                   "REGOS_CONNECTED_INTEGRATION_ID": DEMO_CONNECTED_INTEGRATION_ID,
                   "REGOS_RATE": "1000", "REGOS_BURST": "1000"}
        async with Playground.open(ORDERS, environ=environ) as play:
            before = len(emu.requests)
            updates = 0
            start = time.perf_counter()
            for n in range(users):
                user = play.user(f"User{n}")
                await user.send("/start")
                await user.click("🛍 Каталог")
                await user.click("Все товары")
                await user.click("›")
                item = next(b for b in user.buttons() if " · " in b and "нет в наличии" not in b)
                await user.click(item)
                await user.click("➕ В корзину")
                await user.click("🏠 Меню")
                await user.click("✅ Оформить заказ")
                await user.share_contact(f"99893{n:07d}")  # checkout goes on by itself
                await user.send_location(41.31, 69.24)
                await user.click("Без комментария")
                await user.click("✅ Подтвердить заказ")
                updates += 12
            elapsed = time.perf_counter() - start
            assert play.rejected_calls() == []
            calls = len(emu.requests) - before
    print(f"customers: {users}, updates: {updates}")
    print(f"per update: {elapsed / updates * 1000:.1f} ms (including REGOS over loopback)")
    per_customer = calls / users
    print(f"REGOS calls per customer: {per_customer:.1f} "
          f"(at 2 requests/s: about {120 / per_customer:.0f} such customers a minute per integration)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    tracemalloc.start()
    asyncio.run(run(args.users))
    _, peak = tracemalloc.get_traced_memory()
    print(f"peak traced memory: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
