"""Integrations: bots that an external system connects and disconnects while ``serve`` runs.

DEPLOY.yaml names them under ``integrations:``, each with a ``package`` (a Python package, the
same kind as a scenario's ``actions:``), the ``scenario`` its bots run and its ``settings``::

    integrations:
      shops:
        package: actions.shop
        scenario: scenarios/orders.yaml
        settings: {REGOS_INTEGRATION_KEY: ${REGOS_INTEGRATION_KEY}}

``serve`` imports the package and calls its ``async def setup_integration(host:
IntegrationHost)`` once at start-up, before the server listens. The hook adds HTTP routes for
what the external system calls (``host.add_route("POST", "/regos", handler)``), starts the bots it
already knows (``await host.start_bot(key, token, environ)``), and from its handlers starts and
stops bots in the background (``host.spawn(host.stop_bot(key))``) so the caller gets its answer
at once. Each bot is served like a DEPLOY.yaml bot, named ``{integration}-{key}``; work spawned
and still running at shutdown is awaited before the bots stop. The engine knows nothing of the
system on the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from engine.errors import ConfigError
from engine.masking import SECRETS
from engine.runtime.pacing import notifications
from engine.runtime.storage import KeyValueStore
from engine.serve.config import BotConfig

if TYPE_CHECKING:
    from engine.runtime.app import BotApp
    from engine.serve.server import HostedBot, Server

__all__ = ["HOOK", "IntegrationHost", "RouteHandler"]

log = logging.getLogger("engine.serve.integrations")
HOOK = "setup_integration"
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class IntegrationHost:
    """What an integration's ``setup_integration`` hook gets: its settings, a key-value store
    (Redis when configured: event ids to deduplicate, cached settings), routes, bots, and a
    ``stack`` for what it opens."""

    name: str
    scenario: Path
    environ: Mapping[str, str]
    kv: KeyValueStore
    server: Server = field(repr=False)
    routes: list[tuple[str, str, RouteHandler]] = field(default_factory=list)
    #: the deployment's Redis (when configured): signals between its processes
    redis: Redis | None = None
    #: what the hook opened (HTTP clients): closed after the bots stop
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)
    _loops: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``method path`` (before the server listens, i.e. in the hook)."""
        self.routes.append((method.upper(), path, handler))

    def bot_name(self, key: str) -> str:
        return f"{self.name}-{key}"

    async def start_bot(self, key: str, token: str, environ: Mapping[str, str]) -> HostedBot:
        """Start the bot of ``key`` (say, a connected shop) with the integration's scenario and
        ``environ`` over the integration's settings; a bot already running for ``key`` is
        replaced. A bot that cannot start is returned failed (and shown so in ``/readyz``)."""
        name = self.bot_name(key)
        SECRETS.add(token)
        if name in self.server.bots:
            await self.server.remove_bot(name, delete_webhook=False)
        config = BotConfig(name, self.scenario, token, {**self.environ, **environ})
        return await self.server.add_bot(config)

    def bot_app(self, key: str) -> BotApp | None:
        """The running bot of ``key`` (its notifier sends side messages), or None."""
        hosted = self.server.bots.get(self.bot_name(key))
        return hosted.app if hosted is not None else None

    async def stop_bot(self, key: str, *, delete_webhook: bool = True) -> bool:
        """Stop the bot of ``key`` and delete its webhook; False when none runs."""
        return await self.server.remove_bot(self.bot_name(key), delete_webhook=delete_webhook)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` in the background (its failure is logged); finished before shutdown.
        What it sends are notifications: they yield to the bots' answers to users."""
        with notifications():  # the task's context is a copy of this one
            task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` every ``seconds`` until the server stops (a failure is logged and the
        loop goes on); e.g. to follow what another process of the deployment changed."""
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                await self._run(work)

        self._loops.append(asyncio.create_task(loop(), name=f"integration:{self.name}:every"))

    def _channel(self, topic: str) -> str:
        return f"tgflow:integration:{self.name}:{topic}"

    async def signal(self, topic: str) -> None:
        """Tell the deployment's other processes that ``topic`` changed (Redis pub/sub; nothing
        to do in a single process). A failed publish is logged: the periodic work catches up."""
        if self.redis is None:
            return
        try:
            await self.redis.publish(self._channel(topic), "1")
        except (RedisError, OSError) as exc:
            log.warning("integration %s: signal %s not published: %s", self.name, topic, exc)

    def on_signal(self, topic: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` whenever a process of the deployment signals ``topic`` (this one
        included); with no Redis there is no other process and nothing to listen to. A lost
        connection is re-subscribed after a second (and ``work`` run, for what was missed)."""
        if self.redis is None:
            return
        redis, channel = self.redis, self._channel(topic)

        async def listen() -> None:
            missed = False
            while True:
                try:
                    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.subscribe(channel)
                        if missed:
                            await self._run(work)
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                await self._run(work)
                except (RedisError, OSError) as exc:
                    log.warning("integration %s: signals of %s lost (%s); listening again",
                                self.name, topic, exc)
                    missed = True
                    await asyncio.sleep(1)

        self._loops.append(asyncio.create_task(listen(), name=f"integration:{self.name}:{topic}"))

    async def _run(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            with notifications():
                await work()
        except Exception:
            log.exception("integration %s: background work failed", self.name)

    async def stop_loops(self) -> None:
        loops, self._loops = self._loops, []
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("integration %s: background work failed", self.name,
                      exc_info=task.exception())

    async def drain(self, timeout: float) -> None:
        await self.stop_loops()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


async def start_integration(host: IntegrationHost, package: str) -> None:
    """Import ``package`` and run its hook; a package without one is a configuration error."""
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ConfigError(f"integration {host.name}: cannot import {package!r}: {exc}") from None
    hook = getattr(module, HOOK, None)
    if not callable(hook):
        raise ConfigError(f"integration {host.name}: package {package!r} has no {HOOK}(host)")
    await hook(host)
