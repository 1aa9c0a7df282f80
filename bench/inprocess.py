"""In process, no network for Telegram: updates/s of one bot on the browse flow.

    .venv/bin/python -m bench.inprocess --bot engine|handwritten [--customers N] [--profile FILE]
                                        [--count-calls] [--gc-tuned]

Updates go straight to the dispatcher (``feed_update``), the Bot API is the emulator as an
aiogram session, REGOS is the emulator over loopback (rate limits lifted, the same for both
bots). Customers go one after another; a few warm-up customers are not counted. Prints one
JSON line: updates, seconds, updates/s, CPU seconds.

After the warm-up the engine gets the garbage-collector settings ``engine run`` and ``engine
serve`` apply after start-up (:mod:`engine.runtime.gc_tuning`): that is how it runs. The
yardstick runs as written, or with the same settings under ``--gc-tuned`` (the code alone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import pstats
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import Update

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from bench.flow import UPDATES_PER_CUSTOMER, BenchEmulator, Customer, Feed
from bench.handwritten_bot import Regos, build_dispatcher
from engine.playground.botapi import EmulatorSession
from engine.runtime.gc_tuning import settle_after_startup
from engine.testing import TOKEN, Playground

ORDERS = Path(__file__).resolve().parent.parent / "scenarios" / "orders.yaml"
HAND_TOKEN = "654321:HAND-WRITTEN"
WARMUP = 5
COUNT_ONLY = "-"  # profile to count calls, write no file


def regos_environ(base_url: str) -> dict[str, str]:
    return {"REGOS_API_URL": base_url, "REGOS_INTEGRATION_KEY": DEMO_INTEGRATION_KEY,
            "REGOS_CONNECTED_INTEGRATION_ID": DEMO_CONNECTED_INTEGRATION_ID,
            "REGOS_RATE": "100000", "REGOS_BURST": "100000"}


def feeder(dp: Any, bot: Bot) -> Feed:
    async def feed(update: dict[str, Any]) -> None:
        await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
    return feed


@contextlib.asynccontextmanager
async def engine_bot(emu: BenchEmulator, regos_url: str) -> AsyncIterator[tuple[str, Feed]]:
    async with Playground.open(ORDERS, environ=regos_environ(regos_url), emulator=emu) as play:
        yield TOKEN, feeder(play.app.dispatcher, play.app.bot)


@contextlib.asynccontextmanager
async def handwritten_bot(emu: BenchEmulator, regos_url: str) -> AsyncIterator[tuple[str, Feed]]:
    emu.add_bot(HAND_TOKEN, username="hand_shop_bot", first_name="Shop")
    bot = Bot(HAND_TOKEN, session=EmulatorSession(emu),
              default=DefaultBotProperties(parse_mode="HTML"))
    regos = Regos(regos_url, DEMO_INTEGRATION_KEY)
    dp = build_dispatcher(MemoryStorage(), SimpleEventIsolation(), regos)
    try:
        yield HAND_TOKEN, feeder(dp, bot)
    finally:
        await regos.http.aclose()


async def measure(which: str, customers: int, profile: str = "",
                  gc_tuned: bool = False) -> dict[str, float]:
    regos = RegosEmulator(demo_shop(), rate_limit=False)
    async with RegosEmulatorServer(regos) as server:
        emu = BenchEmulator()
        opener = engine_bot if which == "engine" else handwritten_bot
        async with opener(emu, server.base_url) as (token, feed):
            for n in range(WARMUP):
                await Customer.new(emu, token, f"Warm{n}", feed).browse()
            if which == "engine" or gc_tuned:
                settle_after_startup()  # as `engine run` and `engine serve` do after start-up
            profiler = cProfile.Profile() if profile else None
            cpu, start = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            for n in range(customers):
                await Customer.new(emu, token, f"User{n}", feed).browse()
            calls = 0
            if profiler is not None:
                profiler.disable()
                stats = pstats.Stats(profiler)
                calls = stats.total_calls  # type: ignore[attr-defined]
                if profile != COUNT_ONLY:
                    stats.dump_stats(profile)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    updates = customers * UPDATES_PER_CUSTOMER
    result = {"updates": updates, "seconds": elapsed, "updates_per_s": updates / elapsed,
              "cpu_ms_per_update": cpu / updates * 1000}
    if calls:  # under the profiler: its counts, not its (slowed) times
        result = {"updates": updates, "python_calls_per_update": calls / updates}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", choices=("engine", "handwritten"), required=True)
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--profile", default="", help="write cProfile stats of the measured part here")
    parser.add_argument("--count-calls", action="store_true",
                        help="print Python function calls per update (steady on a noisy machine)")
    parser.add_argument("--gc-tuned", action="store_true",
                        help="give the hand-written bot the engine's GC settings too")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    profile = COUNT_ONLY if args.count_calls and not args.profile else args.profile
    print(json.dumps(asyncio.run(measure(args.bot, args.customers, profile, args.gc_tuned))))


if __name__ == "__main__":
    main()
