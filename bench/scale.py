"""Scale figures: a generated 500-window scenario, and Redis memory per idle conversation.

    .venv/bin/python -m bench.scale [--windows 500] [--redis URL] [--conversations 1000]

* check + compile: a scenario of ``--windows`` windows in dialogs of 50 (each window a text
  template, a row of buttons to the next and previous window, a counter and a button back),
  its templates in ru, uz and en, is generated in a temporary folder; the time of
  ``load_bundle`` (load, schema, link, templates) + ``compile_bot`` is taken after the imports,
  i.e. beyond interpreter start-up; best of 3;
* Redis memory: ``--conversations`` customers open the shop's catalog with Redis storage and
  stay there (an idle conversation: dialog stack and context, FSM state, the customer marker);
  ``INFO memory``'s used_memory after minus before, divided by the conversations. The catalog
  cache (shared, not per conversation) is left out by counting it before the customers come.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from bench.flow import BenchEmulator, Customer, both, has_button, has_text
from bench.inprocess import ORDERS, feeder, regos_environ
from engine.compile.bot import compile_bot
from engine.scenario.pipeline import load_bundle
from engine.testing import TOKEN, Playground

PER_DIALOG = 50
LOCALES = ("ru", "uz", "en")


def generate(root: Path, windows: int) -> Path:
    """A scenario of ``windows`` windows and its templates under ``root``."""
    lines = ["scenario: gen", "title: Generated", f"locales: [{', '.join(LOCALES)}]",
             "menu: d0", "dialogs:"]
    for d in range(-(-windows // PER_DIALOG)):
        lines += [f"  d{d}:", "    windows:"]
        count = min(PER_DIALOG, windows - d * PER_DIALOG)
        for w in range(count):
            nxt = f"w{w + 1}" if w + 1 < count else f"d{(d + 1) % (-(-windows // PER_DIALOG))}"
            prev = f"w{w - 1}" if w else "menu"
            lines += [f"      w{w}:", f"        text: t{w}", "        keyboard:",
                      "          - type: row", "            widgets:",
                      f"              - {{type: button, id: prev, label: nav.prev, go: {prev}}}",
                      f"              - {{type: button, id: next, label: nav.next, go: {nxt}}}",
                      "          - {type: counter, id: qty, min: 1, max: 9}",
                      "          - {type: button, id: back, label: nav.back, go: back}"]
    lines += ["handlers:", "  - {command: start, go: menu}"]
    scenario = root / "gen.yaml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for locale in LOCALES:
        folder = root / "templates" / "gen" / locale
        folder.mkdir(parents=True)
        (folder / "labels.yaml").write_text(
            'nav: {prev: "‹ {{ user.first_name }}", next: "›", back: "back"}\n'
            'counter: {minus: "−", plus: "+", value: "{{ value }}"}\n'
            'engine: {outdated: "outdated", error: "error", unavailable: "unavailable"}\n',
            encoding="utf-8")
        for w in range(PER_DIALOG):
            (folder / f"t{w}.html").write_text(
                f"<b>Window {w}</b> ({locale})\n{{% if user %}}Hello, {{{{ user.first_name }}}}!"
                "{% endif %}\n", encoding="utf-8")
    return scenario


def check_and_compile(windows: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = generate(Path(tmp), windows)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            bundle, diagnostics = load_bundle(scenario, Path(tmp))
            if bundle is None:
                raise RuntimeError("\n".join(map(str, diagnostics)))
            compiled = compile_bot(bundle.scenario, bundle.registry, bundle.store,
                                   bundle.loaded.positions)
            best = min(best, time.perf_counter() - start)
        return best, sum(len(d.windows) for d in compiled.dialogs)


async def redis_bytes_per_conversation(redis_url: str, conversations: int) -> float:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    regos = RegosEmulator(demo_shop(), rate_limit=False)
    try:
        async with RegosEmulatorServer(regos) as server:
            emu = BenchEmulator()
            env = regos_environ(server.base_url)
            async with Playground.open(ORDERS, environ=env, emulator=emu,
                                       redis_url=redis_url) as play:
                feed = feeder(play.app.dispatcher, play.app.bot)
                opened = both(has_text("Найдено"), has_button("›"))
                warm = Customer.new(emu, TOKEN, "Warm", feed)
                await warm.step(None, has_button("🛍 Каталог"))
                await warm.step("🛍 Каталог", has_button("Все товары"))
                await warm.step("Все товары", opened)
                before = await _used(redis)
                for n in range(conversations):
                    customer = Customer.new(emu, TOKEN, f"Idle{n}", feed)
                    await customer.step(None, has_button("🛍 Каталог"))
                    await customer.step("🛍 Каталог", has_button("Все товары"))
                    await customer.step("Все товары", opened)
                after = await _used(redis)
        return (after - before) / conversations
    finally:
        await redis.flushdb()
        await redis.aclose()


async def _used(redis: Redis) -> int:
    info: dict[str, Any] = await redis.info("memory")
    return int(info["used_memory"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=500)
    parser.add_argument("--redis", default=None)
    # used_memory moves by ~10 % between runs of 200 conversations (allocator arenas, client
    # buffers); over 1,000 it is the same to the byte from run to run
    parser.add_argument("--conversations", type=int, default=1000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    seconds, compiled = check_and_compile(args.windows)
    row: dict[str, Any] = {"windows": compiled, "check_compile_s": seconds}
    if args.redis:
        row["redis_bytes_per_conversation"] = asyncio.run(
            redis_bytes_per_conversation(args.redis, args.conversations))
    print(json.dumps(row))


if __name__ == "__main__":
    main()
