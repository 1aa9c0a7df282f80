"""``make bench``: every figure next to its target, in one run, engine against the hand-written bot.

    .venv/bin/python -m bench.run [--quick]

Each part runs in its own process (clean memory and GC state): in process (bench.inprocess,
engine and hand-written in turn, three times), end to end over HTTP with process memory and with a
real redis-server started here on a free loopback port (bench.e2e), scale (bench.scale) and
REGOS load (bench.regos_load). Prints a table; nothing is asserted. ``--quick``: smaller
crowds, for trying the bench itself.

``serve`` in webhook mode with Redis, one process and two behind a balancer (bench.serve_webhook).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
Row = dict[str, Any]


class PartFailed(Exception):
    """One part of the bench could not run (its figures are left out, the others are kept)."""


def run(module: str, *args: str) -> list[Row]:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        print(f"{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PartFailed(last[:100])
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with socket.socket() as sock, contextlib.suppress(OSError):
                    sock.connect(("127.0.0.1", port))
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    head = ("figure", "engine", "hand-written", "target", "")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    users = "10,50" if args.quick else "10,50,200"
    rows: list[tuple[str, str, str, str, str]] = []
    started = time.monotonic()

    print("in process ...", file=sys.stderr)
    part(rows, "in process", partial(in_process, rows, "15" if args.quick else "40"))
    with redis_server() as redis_url:
        for storage in ("memory", "redis"):
            if storage == "redis" and redis_url is None:
                rows.append(("end to end with Redis", "-", "-", "redis-server not installed", ""))
                continue
            print(f"end to end, {storage} ...", file=sys.stderr)
            extra = ["--redis", redis_url] if storage == "redis" and redis_url else []
            part(rows, f"end to end, {storage}", partial(end_to_end, rows, storage, users, extra))
        print("scale ...", file=sys.stderr)
        part(rows, "scale", partial(scale, rows, redis_url))
        print("serve (webhook, Redis) ...", file=sys.stderr)
        if redis_url is None:
            rows.append(("serve (webhook, Redis)", "-", "-", "redis-server not installed", ""))
        else:
            part(rows, "serve (webhook, Redis)", partial(serve_webhook, rows, redis_url, args.quick))
    print("REGOS ...", file=sys.stderr)
    part(rows, "REGOS", partial(regos_load, rows, "200" if args.quick else "1000"))
    print(table(rows))
    print(f"\n(the whole bench took {time.monotonic() - started:.0f} s; wall-clock figures "
          "depend on what else runs on the machine, CPU per update less so)")


def part(rows: list[tuple[str, str, str, str, str]], name: str, body: Callable[[], None]) -> None:
    try:
        body()
    except PartFailed as exc:
        rows.append((name, "-", "-", f"FAILED: {exc}", ""))


def in_process(rows: list[tuple[str, str, str, str, str]], customers: str) -> None:
    """Interleaved runs, medians: the engine with its GC settings (as ``run`` and ``serve``)
    against the yardstick as written, then against the yardstick given the same settings."""
    speed: dict[str, list[float]] = {"engine": [], "handwritten": [], "tuned": []}
    for _ in range(3):
        for bot in ("engine", "handwritten", "tuned"):
            args = ["--bot", "handwritten" if bot == "tuned" else bot, "--customers", customers]
            if bot == "tuned":
                args.append("--gc-tuned")
            speed[bot] += [r["updates_per_s"] for r in run("bench.inprocess", *args)]
    eng, hand, tuned = (statistics.median(speed[b]) for b in ("engine", "handwritten", "tuned"))
    rows.append(("in process: updates/s", f"{eng:.0f}", f"{hand:.0f}",
                 f"engine/hand >= 1.0x (is {eng / hand:.2f}x)", verdict(eng >= hand)))
    rows.append(("  the same, yardstick with the engine's GC settings", f"{eng:.0f}",
                 f"{tuned:.0f}", f"no target: the code alone (is {eng / tuned:.2f}x)", ""))
    calls = {bot: run("bench.inprocess", "--bot", bot, "--customers", customers,
                      "--count-calls")[0]["python_calls_per_update"]
             for bot in ("engine", "handwritten")}
    rows.append(("in process: Python calls/update", f"{calls['engine']:.0f}",
                 f"{calls['handwritten']:.0f}",
                 "no target: steady on a noisy machine, for before/after", ""))


def end_to_end(rows: list[tuple[str, str, str, str, str]], storage: str, users: str,
               extra: list[str]) -> None:
    got = {bot: run("bench.e2e", "--bot", bot, "--users", users, *extra)
           for bot in ("engine", "handwritten")}
    for e, h in zip(got["engine"], got["handwritten"], strict=True):
        rows += e2e_rows(storage, e, h)


def scale(rows: list[tuple[str, str, str, str, str]], redis_url: str | None) -> None:
    found = run("bench.scale", *(["--redis", redis_url] if redis_url else []))[0]
    rows.append((f"check + compile, {found['windows']} windows", f"{found['check_compile_s']:.2f} s",
                 "", "< 1 s beyond start-up", verdict(found["check_compile_s"] < 1)))
    if "redis_bytes_per_conversation" in found:
        size = found["redis_bytes_per_conversation"]
        rows.append(("Redis per idle conversation", f"{size:.0f} B", "", "< 2 KB",
                     verdict(size < 2048)))


def serve_webhook(rows: list[tuple[str, str, str, str, str]], redis_url: str, quick: bool) -> None:
    found = {r["processes"]: r for r in run("bench.serve_webhook", "--redis", redis_url,
                                            "--rate", "150" if quick else "300")}
    one, two = found[1], found[2]
    gain = two["updates_per_s"] / one["updates_per_s"]
    for n, row in ((1, one), (2, two)):
        rows.append((f"serve, {n} process(es), {row['users']} users: updates/s",
                     f"{row['updates_per_s']:.0f}", "",
                     f">= 1.8x one process (is {gain:.2f}x)" if n == 2 else "",
                     verdict(gain >= 1.8) if n == 2 else ""))
        rows.append((f"serve, {n} process(es): p50/p95/p99 ms, CPU ms/update",
                     f"{_lat(row)}, {row['cpu_ms_per_update']:.2f}", "", "", ""))
        rows.append((f"serve, {n} process(es): p99 at {row['steady_offered_per_s']:.0f} updates/s "
                     f"offered (reached {row['steady_reached_per_s']:.0f}/s)",
                     f"{row['steady_p99_ms']:.0f} ms", "", "< 50 ms",
                     verdict(row["steady_p99_ms"] < 50
                             and row["steady_reached_per_s"] >= 0.95 * row["steady_offered_per_s"])))


def regos_load(rows: list[tuple[str, str, str, str, str]], customers: str) -> None:
    regos = run("bench.regos_load", "--customers", customers)[0]
    rows.append((f"Item/GetExt per distinct page ({regos['customers']} customers, "
                 f"{regos['seconds']:.0f} s)", str(regos["getext_per_page_max"]), "",
                 "<= 1 per page per TTL (60 s)",
                 verdict(regos["getext_per_page_max"] <= -(-regos["seconds"] // 60))))
    per = ", ".join(f"{m} {c}" for m, c in regos["per_customer"].items())
    rows.append(("REGOS requests per browsing customer", per, "", "", ""))
    rows.append((f"REGOS rate, {regos['limit_requests']} requests at once",
                 f"{regos['sustained_req_per_s']:.2f}/s after the burst, "
                 f"{regos['refused_8213']} refused (8213)", "", "<= 2/s, none refused",
                 verdict(regos["sustained_req_per_s"] <= 2.2 and regos["refused_8213"] == 0)))


def e2e_rows(storage: str, e: Row, h: Row) -> list[tuple[str, str, str, str, str]]:
    n = e["users"]
    ratio = e["cpu_ms_per_update"] / h["cpu_ms_per_update"]
    where = f"{storage}, {n} users"
    return [
        (f"{where}: updates/s", f"{e['updates_per_s']:.0f}", f"{h['updates_per_s']:.0f}", "", ""),
        (f"{where}: p50/p95/p99 ms", _lat(e), _lat(h), "p99 < 100 ms at 50 users" if n == 50 else "",
         verdict(e["p99_ms"] < 100) if n == 50 else ""),
        (f"{where}: CPU ms/update", f"{e['cpu_ms_per_update']:.2f}", f"{h['cpu_ms_per_update']:.2f}",
         f"<= 0.7x hand (is {ratio:.2f}x)", verdict(ratio <= 0.7)),
        (f"{where}: Bot API calls/update", f"{e['calls_per_update']:.2f}",
         f"{h['calls_per_update']:.2f}", "", ""),
        (f"{where}: peak RSS MB", f"{e['peak_rss_mb']:.0f}", f"{h['peak_rss_mb']:.0f}", "", ""),
    ]


def _lat(row: Row) -> str:
    return f"{row['p50_ms']:.0f}/{row['p95_ms']:.0f}/{row['p99_ms']:.0f}"


if __name__ == "__main__":
    main()
