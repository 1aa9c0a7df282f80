"""``python -m engine serve DEPLOY.yaml``: one aiohttp server for the bots of a deployment.

Start-up, per bot: its scenario checked, ``getMe`` (a token Telegram refuses marks that bot
failed; the others start), storage (``REDIS_URL``: aiogram's Redis storage and event isolation,
keys per bot), :func:`~engine.runtime.app.build_app`, metrics middlewares. Then the server
listens, and each running bot registers its webhook ``{PUBLIC_URL}/webhook/{name}`` with its own
``secret_token`` and the update types its dispatcher handles (``allowed_updates``), and starts its
jobs. Bots can also be added and removed while serving (:meth:`Server.add_bot`,
:meth:`Server.remove_bot`: what a shop connecting or disconnecting needs). Routes:
``POST /webhook/{name}`` (:class:`~engine.serve.webhook.BotWebhook`), ``/healthz``,
``/readyz`` (each bot's status, its Redis and the probes its packages registered:
:mod:`engine.health`), ``/metrics``.

SIGINT/SIGTERM: the server stops accepting requests, the updates being handled finish (up to
``drain_timeout``), then each bot stops like ``run`` does (jobs, packages, storage, session).
Webhooks stay registered: Telegram keeps the updates that arrive meanwhile for the restart.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.backoff import BackoffConfig
from aiohttp import web

from engine.actions import Services
from engine.errors import ConfigError, EngineError, ScenarioError, StartupError
from engine.health import OK, MetricsExport, Readiness
from engine.masking import SECRETS, mask
from engine.routes import RouteTable
from engine.runtime.app import BotApp, build_app, make_bot
from engine.runtime.funnel import Funnel
from engine.runtime.gc_tuning import settle_after_startup
from engine.runtime.pacing import Pacing
from engine.runtime.storage import StorageBundle, create_storage
from engine.scenario.pipeline import load_bundle
from engine.serve.config import BotConfig, DeployConfig, public_url_of
from engine.serve.integrations import IntegrationHost, start_integration
from engine.serve.metrics import CONTENT_TYPE_LATEST, ApiMetrics, Metrics, UpdateMetrics
from engine.serve.revive import DEFAULT_BACKOFF, Reviver
from engine.serve.webhook import MAX_BODY, BotWebhook, webhook_secret
from engine.startup import StartupRetry

__all__ = ["HostedBot", "Server", "public_url_of", "serve"]

log = logging.getLogger("engine.serve")
RESERVED = ("/webhook/", "/healthz", "/readyz", "/metrics")  # never a package's route
TELEGRAM = "the Telegram Bot API"


@dataclass
class HostedBot:
    """One bot of the deployment: running (``app`` and ``webhook`` set) or failed (``error``)."""

    config: BotConfig
    app: BotApp | None = None
    webhook: BotWebhook | None = None
    url: str = ""
    error: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.error else ("running" if self.app else "starting")


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TelegramNetworkError | TelegramServerError | TelegramRetryAfter)


@dataclass
class Server:
    """The bots of one deployment behind one aiohttp application."""

    config: DeployConfig
    environ: Mapping[str, str]
    public_url: str
    metrics: Metrics = field(default_factory=Metrics)
    bots: dict[str, HostedBot] = field(default_factory=dict)
    drain_timeout: float = 30
    live: bool = False  # listening: a bot added now starts and registers its webhook at once
    integrations: list[IntegrationHost] = field(default_factory=list)
    _integration_storage: StorageBundle | None = None
    backoff: BackoffConfig = DEFAULT_BACKOFF  # between the tries of a failed bot (revive.py)
    routes: RouteTable = field(default_factory=lambda: RouteTable(RESERVED))  # the packages'

    def __post_init__(self) -> None:
        self.reviver = Reviver(self, self.backoff)

    def _environ_of(self, bot: BotConfig) -> dict[str, str]:
        env = {**self.environ, **bot.environ, "BOT_TOKEN": bot.token}
        redis_url = bot.environ.get("REDIS_URL") or self.config.redis_url or \
            self.environ.get("REDIS_URL")
        if redis_url:
            env["REDIS_URL"] = redis_url
        return env

    async def _start_bot(self, hosted: HostedBot) -> None:
        bot_config = hosted.config
        environ = self._environ_of(bot_config)
        bundle, diagnostics = load_bundle(bot_config.scenario)
        if bundle is None:
            raise ScenarioError(diagnostics)
        retry = StartupRetry.from_environ(environ)
        bot = make_bot(bot_config.token, environ.get("TELEGRAM_API_URL"))
        bot.session.middleware(Pacing.from_environ(environ))  # outgoing limits (runtime/pacing.py)
        bot.session.middleware(ApiMetrics(self.metrics, bot_config.name))  # inner: every attempt
        try:
            await self._identify(bot, retry)
            storage = await create_storage(environ.get("REDIS_URL"))
            services = Services()
            services.add(Readiness, Readiness())  # the packages' probes, for /readyz
            services.add(MetricsExport, self.metrics.package_export(bot_config.name))
            funnel = Funnel()  # per-window counts, to /metrics
            funnel.listen(self.metrics.funnel_listener(bot_config.name))
            services.add(Funnel, funnel)
            try:
                app = await build_app(bundle, bot, storage, environ=environ, retry=retry,
                                      services=services)
            except BaseException:
                await storage.close()
                raise
        except BaseException:
            await bot.session.close()
            raise
        app.dispatcher.update.outer_middleware(UpdateMetrics(self.metrics, bot_config.name))
        secret = webhook_secret(bot_config.name, bot_config.token, self.config.webhook_secret)
        SECRETS.add(secret)  # never in a log line, even at -v
        try:
            self.routes.replace(bot_config.name, app.routes)  # an admin panel, an API for apps
        except ConfigError:
            await app.close(drain_timeout=0)
            raise
        hosted.app = app
        hosted.webhook = BotWebhook(app.dispatcher, bot, name=bot_config.name, secret=secret,
                                    metrics=self.metrics)

    async def _identify(self, bot: Bot, retry: StartupRetry) -> None:
        try:
            await retry.run(TELEGRAM, bot.me, transient=_transient,
                            hint=lambda _: "check TELEGRAM_API_URL and the network")
        except TelegramUnauthorizedError:
            raise StartupError("Telegram does not know this bot's token (401 Unauthorized)",
                               hint="copy the token again from @BotFather") from None
        except AiogramError as exc:
            raise StartupError(f"{TELEGRAM} refused the start: {exc}") from exc

    async def start_bots(self) -> None:
        """Start every bot; one that cannot start is marked failed (its reason logged once).
        Raises when none could start."""
        self.bots = {b.name: HostedBot(b) for b in self.config.bots}
        for hosted in self.bots.values():
            try:
                await self._start_bot(hosted)
            except ScenarioError:
                raise  # a broken scenario is the deployment's mistake: fix it before serving
            except EngineError as exc:
                self._failed(hosted, exc)
        if self.bots and not self.running() and not self.config.integrations:
            await self.reviver.close()
            reasons = "; ".join(f"{h.config.name}: {h.error}" for h in self.bots.values())
            raise StartupError(f"no bot could start ({reasons})")

    async def start_integrations(self) -> None:
        """Run each integration's ``setup_integration`` hook (its routes, its known bots)."""
        if not self.config.integrations:
            return
        redis_url = self.config.redis_url or self.environ.get("REDIS_URL")
        self._integration_storage = storage = await create_storage(redis_url)
        for integration in self.config.integrations:
            host = IntegrationHost(integration.name, integration.scenario,
                                   {**self.environ, **integration.environ}, storage.kv, self,
                                   redis=storage.redis)
            self.integrations.append(host)
            await start_integration(host, integration.package)

    def _failed(self, hosted: HostedBot, exc: EngineError) -> None:
        hint = f" — {exc.hint}" if exc.hint else ""
        hosted.error = mask(f"{exc}{hint}")
        log.error("bot %s cannot start: %s", hosted.config.name, hosted.error,
                  extra={"bot": hosted.config.name})
        self.reviver.failed(hosted)  # tried again later, with backoff

    async def add_bot(self, config: BotConfig) -> HostedBot:
        """Start one more bot while serving (a shop connected): on success it is running and,
        once the server listens, its webhook is registered; a failure marks it failed."""
        if config.name in self.bots:
            raise ConfigError(f"a bot named {config.name!r} is already served")
        hosted = self.bots[config.name] = HostedBot(config)
        try:
            await self._start_bot(hosted)
        except EngineError as exc:
            self._failed(hosted, exc)
            return hosted
        await self._live_if_listening(hosted)
        return hosted

    async def _live_if_listening(self, hosted: HostedBot) -> None:
        if self.live and hosted.app is not None and hosted.webhook is not None:
            await self._emit_startup(hosted.app)
            await self._go_live(hosted, hosted.app, hosted.webhook)

    async def remove_bot(self, name: str, *, delete_webhook: bool = True) -> bool:
        """Stop serving a bot (a shop disconnected): its requests are refused (404) from now
        on, the updates being handled finish, its webhook is deleted (unless told otherwise),
        and it stops as on shutdown. False when no such bot is served."""
        hosted = self.bots.pop(name, None)
        self.reviver.forget(name)
        self.routes.drop(name)
        if hosted is None:
            return False
        if hosted.app is None or hosted.webhook is None:
            return True
        await hosted.webhook.drain(self.drain_timeout)
        if delete_webhook:
            try:
                await hosted.app.bot.delete_webhook(drop_pending_updates=False)
            except AiogramError as exc:
                log.warning("bot %s: deleteWebhook failed: %s", name, exc, extra={"bot": name})
        await self._emit_shutdown(hosted.app)
        await hosted.app.close(drain_timeout=self.drain_timeout)
        log.warning("bot %s stopped", name, extra={"bot": name})
        return True

    @staticmethod
    def _workflow(bot_app: BotApp) -> dict[str, Any]:
        dispatcher = bot_app.dispatcher
        return {"dispatcher": dispatcher, "bot": bot_app.bot, "bots": [bot_app.bot],
                **dispatcher.workflow_data}

    async def _emit_startup(self, bot_app: BotApp) -> None:
        await bot_app.dispatcher.emit_startup(**self._workflow(bot_app))

    async def _emit_shutdown(self, bot_app: BotApp) -> None:
        await bot_app.dispatcher.emit_shutdown(**self._workflow(bot_app))

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self.routes.middleware])
        app.router.add_post("/webhook/{name}", self._webhook)
        for host in self.integrations:
            for method, path, handler in host.routes:
                app.router.add_route(method, path, handler)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        app.on_startup.append(self._startup)
        app.on_shutdown.append(self._drain)
        app.on_cleanup.append(self.close)
        return app

    async def _startup(self, app: web.Application) -> None:
        for _, bot_app, _ in self.running():
            await self._emit_startup(bot_app)

    async def _webhook(self, request: web.Request) -> web.Response:
        hosted = self.bots.get(request.match_info["name"])
        if hosted is None or hosted.webhook is None:
            self.metrics.refused.labels("-", "unknown_bot").inc()
            log.info("webhook request for unknown bot %r from %s", request.match_info["name"],
                     request.remote)
            raise web.HTTPNotFound(text="no such bot")
        return await hosted.webhook.handle(request)

    def running(self) -> list[tuple[HostedBot, BotApp, BotWebhook]]:
        """The bots that started: each with its app and its webhook endpoint."""
        return [(h, h.app, h.webhook) for h in self.bots.values()
                if h.app is not None and h.webhook is not None]

    async def register_webhooks(self) -> None:
        """Each running bot's webhook, with its secret and the update types it handles."""
        self.live = True
        for hosted, bot_app, webhook in self.running():
            await self._go_live(hosted, bot_app, webhook)

    async def _go_live(self, hosted: HostedBot, bot_app: BotApp, webhook: BotWebhook) -> None:
        """Register the bot's webhook and start its jobs; a refusal marks the bot failed."""
        dispatcher = bot_app.dispatcher
        hosted.url = f"{self.public_url}/webhook/{hosted.config.name}"
        try:
            await bot_app.bot.set_webhook(
                hosted.url, secret_token=webhook.secret_token,
                allowed_updates=dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except AiogramError as exc:
            hosted.error = mask(f"Telegram refused the webhook {hosted.url}: {exc}")
            log.error("bot %s cannot start: %s", hosted.config.name, hosted.error)
            return
        bot_app.jobs.start()
        log.warning("bot %s (@%s, scenario %s) receives updates at %s", hosted.config.name,
                    (await bot_app.bot.me()).username, bot_app.bundle.scenario.scenario,
                    hosted.url)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        bots: dict[str, dict[str, str]] = {}
        ready = True
        for hosted in self.bots.values():
            entry = {"status": hosted.status}
            if hosted.error:
                entry["error"] = hosted.error
            if hosted.app is not None:
                probes = Readiness()
                if (redis := hosted.app.storage.redis) is not None:
                    probes.add("redis", redis.ping)
                found = hosted.app.runtime.services.find(Readiness)
                probes.probes.update(found.probes if found else {})
                entry.update(await probes.run())
            ready = ready and entry["status"] == "running" and all(
                value == OK for key, value in entry.items() if key not in ("status", "error"))
            bots[hosted.config.name] = entry
        return web.json_response({"ready": ready, "bots": bots}, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.exposition())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    async def _drain(self, app: web.Application) -> None:
        for host in self.integrations:
            await host.drain(self.drain_timeout)
        for hosted, bot_app, webhook in self.running():
            if not await webhook.drain(self.drain_timeout):
                log.warning("bot %s: updates still running after %.0f s; stopping anyway",
                            hosted.config.name, self.drain_timeout)
            await self._emit_shutdown(bot_app)

    async def close(self, app: web.Application | None = None) -> None:
        """Stop every bot as ``run`` does, then the integrations' storage (the application's
        cleanup; also after a failed start)."""
        await self.reviver.close()
        for host in self.integrations:  # nothing starts a bot while they stop
            await host.stop_loops()
        for hosted, bot_app, _ in self.running():
            try:
                await bot_app.close(drain_timeout=self.drain_timeout)
            except Exception:
                log.exception("bot %s did not stop cleanly", hosted.config.name)
        for host in self.integrations:
            await host.stack.aclose()
        if self._integration_storage is not None:
            await self._integration_storage.close()
            self._integration_storage = None


async def serve(config: DeployConfig, environ: Mapping[str, str], *, host: str = "0.0.0.0",
                port: int = 8080) -> None:
    """Run until SIGINT/SIGTERM."""
    server = Server(config, environ, public_url_of(config, environ))
    try:
        await server.start_bots()
        await server.start_integrations()
    except BaseException:
        await server.close()
        raise
    runner = web.AppRunner(server.application(), access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()  # from here on a signal stops gracefully, even during start-up
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                               hint="choose another --port") from None
        await server.register_webhooks()
        log.warning("serving %d bot(s) on http://%s:%d", len(server.running()), host, port)
        if served := server.routes.served():
            log.warning("the bots' packages serve: %s", ", ".join(served))
        settle_after_startup()  # what start-up built lives for good: out of the collector's way
        await stop.wait()
        log.warning("stopping: finishing the updates being handled (webhooks stay registered)")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
