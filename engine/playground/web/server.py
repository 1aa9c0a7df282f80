"""``python -m engine playground [SCENARIO ...]``: every bot in a web page, edited live.

One process runs the bots against the in-process Bot API emulator (with their packages'
sandboxes: the REGOS demo shop, the desk's database) and serves the page and its JSON API on
loopback. Saving a scenario, template or label file reloads the bots (:mod:`.hub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from aiohttp import web

from engine.errors import StartupError
from engine.playground.web.hub import Hub
from engine.playground.web.routes import make_app

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "is_loopback", "run_playground"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def run_playground(
    paths: Sequence[Path], environ: Mapping[str, str], *, host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT, say: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM (or ``stop``); the exit code."""
    say = say or (lambda line: print(line, flush=True))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    hub = await Hub.start(paths, environ, on_event=say)
    runner = web.AppRunner(make_app(hub), access_log=None)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            error = StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
            error.hint = "pick another --port"
            raise error from None
        if not is_loopback(host):
            say(f"warning: listening on {host}, not only on this computer: anyone who can reach "
                f"port {port} can use the bots and read their chats")
        shown = f"[{host}]" if ":" in host else host
        for bot in hub.bots.values():
            say(f"{bot.name}: {bot.title} (@{bot.account.username})")
        say(f"The playground is at http://{shown}:{port} (Ctrl-C stops it)")
        await stop.wait()
    finally:
        await runner.cleanup()
        await hub.close()
    return 0
