"""The composition root: a checked scenario + a Bot + storage -> a ready Dispatcher.

Everything is constructed here once and passed in; nothing reads the environment or connects
at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import TelegramObject, Update
from aiogram.utils.token import TokenValidationError
from aiogram_dialog import setup_dialogs
from aiogram_dialog.api.entities import DialogUpdate

from engine.actions import Services
from engine.compile.bot import CompiledBot, compile_bot
from engine.compile.executors import FLOW_KEY, HANDLERS_KEY
from engine.compile.values import StateMap
from engine.errors import ConfigError
from engine.packages import LiveSettings, PackageContext, start_packages
from engine.routes import BotRoutes
from engine.runtime import intent_ids
from engine.runtime.commands import publish_commands
from engine.runtime.context import LOCALE_KEY, RUNTIME_KEY, Runtime, utc_now
from engine.runtime.errors import setup_error_handlers, stale_callback_router
from engine.runtime.fitting import FitToLimits
from engine.runtime.flow import DialogFlow
from engine.runtime.funnel import Funnel
from engine.runtime.handlers import HandlerExecutor
from engine.runtime.jobs import JobRunner
from engine.runtime.messages import EngineMessageManager
from engine.runtime.notifier import SIDE_INDEX_KEY, Notifier, SideMessageIndex
from engine.runtime.response_types import KeepResponseTypes
from engine.runtime.sender import SENDER_KEY, Sender
from engine.runtime.storage import KeyValueStore, StorageBundle
from engine.runtime.throttle import Throttle
from engine.scenario.pipeline import ScenarioBundle
from engine.startup import StartupRetry

__all__ = ["DEFAULT_API_URL", "BotApp", "build_app", "make_bot"]

log = logging.getLogger("engine.app")
DEFAULT_API_URL = "https://api.telegram.org"
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class BotApp:
    bundle: ScenarioBundle
    runtime: Runtime
    dispatcher: Dispatcher
    bot: Bot
    storage: StorageBundle
    states: StateMap
    live_settings: LiveSettings
    jobs: JobRunner
    in_flight: InFlight
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    routes: BotRoutes | None = None  #: what the packages serve over HTTP (engine/routes.py)

    async def close(self, *, drain_timeout: float = 30) -> None:
        """Graceful stop: background jobs and updates being handled finish first, then the
        packages' resources (database, HTTP clients), storage and the Bot session close."""
        try:
            await self.jobs.stop()
            if not await self.in_flight.drain(drain_timeout):
                log.warning("%d update(s) still running after %.0f s; closing anyway",
                            self.in_flight.count, drain_timeout)
            await self.stack.aclose()
        finally:
            await self.storage.close()
            await self.bot.session.close()


class InFlight:
    """Counts updates being handled, so shutdown can wait for them (aiogram's polling stops
    fetching but leaves the handler tasks of updates it has already confirmed running)."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Wait until no update is being handled; false on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


def _api_base(api_url: str | None) -> str:
    base = api_url or DEFAULT_API_URL
    try:
        url = urllib.parse.urlsplit(base)
        ok = url.scheme in ("http", "https") and bool(url.hostname) and url.port != 0
    except ValueError:  # e.g. a port that is not a number
        ok = False
    if not ok or any(c.isspace() for c in base):
        raise ConfigError(f"TELEGRAM_API_URL must be the http(s) address of a Bot API server, "
                          f"like {DEFAULT_API_URL}, not {base!r}")
    return base


def make_bot(token: str, api_url: str | None = None, session: BaseSession | None = None) -> Bot:
    """A Bot talking to ``api_url`` (TELEGRAM_API_URL) or through ``session``; a malformed
    token or address is a :class:`ConfigError` (which never shows the token)."""
    try:
        if session is None:
            session = AiohttpSession(api=TelegramAPIServer.from_base(_api_base(api_url)))
        bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    except TokenValidationError:
        raise ConfigError("BOT_TOKEN is malformed: it looks like 123456789:AAH... "
                          "(copy it again from @BotFather)") from None
    bot.session.middleware(FitToLimits())  # every text, caption and toast fits Telegram's limits
    bot.session.middleware(KeepResponseTypes())  # answers' models are built once, not per GC
    return bot


class _LocaleMiddleware:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data[LOCALE_KEY] = locale = self.runtime.locale_for(data.get("event_from_user"))
        chat = data.get("event_chat")
        if chat is not None and chat.type == "private" and isinstance(self.runtime.notifier, Notifier):
            await self.runtime.notifier.remember_locale(chat.id, locale)  # for later notices
        return await handler(event, data)


class _SettingsMiddleware:
    """Re-reads settings from their sources when the cached ones are older than their TTL."""

    def __init__(self, runtime: Runtime, live: LiveSettings) -> None:
        self.runtime = runtime
        self.live = live

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if self.live.due():
            self.runtime.settings = await self.live.refresh()
        return await handler(event, data)


class _DedupeMiddleware:
    """Drops an update whose id was already seen (webhook retries, two pollers). aiogram-dialog's
    own dialog updates (background starts and refreshes) all carry update_id 0 and are never
    duplicates."""

    def __init__(self, kv: KeyValueStore, bot_key: str) -> None:
        self.kv = kv
        self.bot_key = bot_key

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and not isinstance(event, DialogUpdate):
            fresh = await self.kv.set_nx(f"engine:upd:{self.bot_key}:{event.update_id}", "1", 3600)
            if not fresh:
                log.info("duplicate update %s dropped", event.update_id)
                return None
        return await handler(event, data)


async def build_app(
    bundle: ScenarioBundle, bot: Bot, storage: StorageBundle, *,
    environ: Mapping[str, str], services: Services | None = None,
    clock: Callable[[], datetime] = utc_now, retry: StartupRetry | None = None,
    compiled: CompiledBot | None = None,
) -> BotApp:
    """Run the action packages' start-up hooks, resolve settings, and compile the dispatcher.

    ``retry`` gives services that do not answer yet time to come up (none by default); a
    start-up failure closes whatever the hooks had opened.
    Packages' sandboxes (local emulators of their services) are not started here: the shell and
    the test kit start them first and pass the ``environ`` they provide
    (:mod:`engine.playground.sandbox`).

    ``compiled``: the scenario already compiled (a compiled bot serves one dispatcher);
    compiled here otherwise.
    """
    stack = contextlib.AsyncExitStack()
    try:
        return await _build(bundle, bot, storage, environ, services or Services(), clock,
                            stack, retry, compiled)
    except BaseException:
        await stack.aclose()
        raise


async def _build(
    bundle: ScenarioBundle, bot: Bot, storage: StorageBundle, environ: Mapping[str, str],
    services: Services, clock: Callable[[], datetime], stack: contextlib.AsyncExitStack,
    retry: StartupRetry | None,
    compiled: CompiledBot | None,
) -> BotApp:
    scenario = bundle.scenario
    services.add(KeyValueStore, storage.kv)  # type: ignore[type-abstract]
    pkg = PackageContext(scenario.scenario, dict(environ), services, storage.kv, storage.redis,
                         clock, stack)
    live = await start_packages(scenario.scenario, scenario.actions, scenario.settings, pkg,
                                retry=retry)
    settings = live.current
    bot_key = str(bot.id)
    index = SideMessageIndex(storage.kv, bot_key)
    runtime = Runtime(scenario, bundle.store, bundle.registry, settings, services,
                      notifier=None, clock=clock)  # type: ignore[arg-type]
    sender = Sender(bot)  # the bot's one way out to Telegram
    runtime.notifier = Notifier(sender, runtime, index)
    services.add(Bot, bot)
    bot_def = compiled or compile_bot(scenario, bundle.registry, bundle.store,
                                      bundle.loaded.positions)
    jobs = JobRunner(runtime, bot_def.jobs, storage.kv, bot_key)
    in_flight = InFlight()

    dp = Dispatcher(storage=storage.fsm, events_isolation=storage.isolation)
    manager = EngineMessageManager(sender)
    dp[RUNTIME_KEY] = runtime
    dp["engine_states"] = bot_def.states
    dp[SIDE_INDEX_KEY] = index
    dp[SENDER_KEY] = sender
    dp[FLOW_KEY] = DialogFlow()
    dp[HANDLERS_KEY] = HandlerExecutor(bot_def.scenario)
    dp["engine_pending_notices"] = manager.pending_notices
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(_DedupeMiddleware(storage.kv, bot_key))
    if (throttle := Throttle.from_environ(environ)) is not None:
        dp.update.outer_middleware(throttle)  # one person's flood never reaches the dialogs
    dp.update.outer_middleware(_SettingsMiddleware(runtime, live))
    dp.update.outer_middleware(_LocaleMiddleware(runtime))
    dp.include_router(bot_def.handlers)
    for dialog in bot_def.dialogs:
        dp.include_router(dialog)
    dp.include_router(bot_def.fallbacks)
    dp.include_router(stale_callback_router())
    intent_ids.install()  # aiogram-dialog's own intent ids collide within a second
    funnel = services.find(Funnel)  # given by serve (its /metrics listen) or made here
    if funnel is None:
        funnel = Funnel()
        services.add(Funnel, funnel)
    funnel.scenario = scenario.scenario
    setup_dialogs(dp, message_manager=manager, events_isolation=storage.isolation,
                  getter=funnel.getter)
    setup_error_handlers(dp)

    async def on_startup() -> None:
        await publish_commands(bot, bot_def.commands, scenario, bundle.store)

    dp.startup.register(on_startup)
    routes = BotRoutes(scenario.scenario, tuple(pkg.routes), live.refresh, services,
                       runtime.notifier, clock)
    return BotApp(bundle, runtime, dp, bot, storage, bot_def.states, live, jobs, in_flight, stack,
                  routes)
