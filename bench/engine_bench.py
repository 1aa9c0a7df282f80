"""Benchmarks that print figures (never assertions): scenario start-up and update handling.

    .venv/bin/python bench/engine_bench.py [--rounds N]

* check: load -> schema -> link of scenarios/demo.yaml, best of N;
* updates: the demo flow (start, open the list, page, pick, +, order) through the real dispatcher
  and the Bot API emulator in process, per update; memory is the peak traced by tracemalloc.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import tracemalloc
from pathlib import Path

from engine.scenario.pipeline import load_bundle
from engine.testing import Playground

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo.yaml"
NBSP = "\u202f"


def bench_check(rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        bundle, _ = load_bundle(DEMO)
        times.append(time.perf_counter() - start)
        assert bundle is not None
    return times


async def bench_updates(users: int) -> tuple[int, float]:
    bundle, _ = load_bundle(DEMO)
    assert bundle is not None
    async with Playground.open(bundle) as play:
        start = time.perf_counter()
        count = 0
        for n in range(users):
            user = play.user(f"User{n}")
            await user.send("/start")
            await user.click("☕ Напитки")
            await user.click("›")
            await user.click("‹")
            await user.click(f"Latte — 19{NBSP}000")
            await user.click("+")
            await user.click("Заказать")
            count += 7
        elapsed = time.perf_counter() - start
        assert play.rejected_calls() == []
    return count, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    times = bench_check(args.rounds)
    print(f"check demo.yaml: best {min(times) * 1000:.1f} ms, "
          f"median {statistics.median(times) * 1000:.1f} ms over {args.rounds} rounds")
    tracemalloc.start()
    count, elapsed = asyncio.run(bench_updates(args.users))
    _, peak = tracemalloc.get_traced_memory()
    print(f"updates in process: {count} in {elapsed:.2f} s = {elapsed / count * 1000:.2f} ms/update "
          f"({args.users} users), peak traced memory {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
