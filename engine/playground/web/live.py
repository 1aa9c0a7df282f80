"""One bot of the playground, replaced by a new version whenever its files change.

A :class:`LiveBot` owns what outlives a version: the bot's account in the shared Bot API emulator,
its dialog storage (so open conversations go on after a reload: state names are stable), its
sandboxes (the REGOS demo shop, the desk's database and managers' group) and its clock. A version
is a :class:`~engine.runtime.app.BotApp` built from a freshly loaded bundle; :meth:`LiveBot.reload`
builds the next one beside the running one and swaps them only when the files check clean, so a
broken edit leaves the previous version answering.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram.types import Update

from engine.actions import Services
from engine.diagnostics import Diagnostic, Severity
from engine.errors import ConfigError
from engine.playground.botapi import BotAccount, BotApiEmulator, EmulatorSession
from engine.playground.sandbox import Sandbox, offer_funnel, start_sandboxes
from engine.routes import RouteTable
from engine.runtime.app import BotApp, build_app, make_bot
from engine.runtime.funnel import Funnel
from engine.runtime.storage import StorageBundle, create_storage
from engine.scenario.pipeline import ScenarioBundle, load_bundle
from engine.templates.cache import CompileCache
from engine.testing import EmulatorWorld, SandboxClock

__all__ = ["LiveBot", "ReloadResult"]

DRAIN_SECONDS = 5.0


class _SharedStorage(StorageBundle):
    """The bot's storage as one version sees it: closing a version leaves it open."""

    async def close(self) -> None:
        return None


@dataclass
class ReloadResult:
    """What a reload did: ``replaced`` the running version, or kept it for ``diagnostics``."""

    replaced: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


class LiveBot:
    """A scenario's bot in the playground; see the module's docstring."""

    def __init__(self, path: Path, bundle: ScenarioBundle, emulator: BotApiEmulator,
                 account: BotAccount, storage: StorageBundle, sandbox: Sandbox,
                 environ: Mapping[str, str], clock: SandboxClock,
                 stack: contextlib.AsyncExitStack) -> None:
        self.path = path
        self.bundle = bundle
        self.emulator = emulator
        self.account = account
        self.storage = storage
        self.sandbox = sandbox
        self.environ = environ
        self.clock = clock
        self.version = 1
        self.diagnostics: list[Diagnostic] = []  # the last failed reload's problems
        self.graph_svg: tuple[int, str] | None = None  # (version, SVG) once drawn
        self.templates = CompileCache()  # compiled templates, reused by reloads
        self.counts = Funnel(bundle.scenario.scenario)  # per-window counts, across versions
        self._stack = stack
        self.routes = RouteTable()
        self._app: BotApp | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.bundle.scenario.scenario

    @property
    def title(self) -> str:
        return self.bundle.scenario.title or self.name

    def funnel(self) -> Funnel | None:
        """The per-window counts of the bot, kept across reloads (every version counts into
        the same :class:`Funnel`; a window an edit removed keeps its past counts)."""
        return self.counts

    @property
    def app(self) -> BotApp:
        if self._app is None:
            raise RuntimeError(f"the bot {self.name} is not running")
        return self._app

    @classmethod
    async def start(cls, path: Path, bundle: ScenarioBundle, emulator: BotApiEmulator,
                    token: str, environ: Mapping[str, str],
                    routes: RouteTable | None = None) -> LiveBot:
        """Register the bot in the emulator, start its packages' sandboxes, run version 1;
        ``routes``: where the page's server finds what the bot's packages serve over HTTP."""
        account = emulator.add_bot(token, username=f"{bundle.scenario.scenario}_bot",
                                   first_name=bundle.scenario.title or bundle.scenario.scenario)
        stack = contextlib.AsyncExitStack()
        try:
            real = await create_storage(None)
            stack.push_async_callback(real.close)
            storage = _SharedStorage(real.fsm, real.isolation, real.kv, real.redis)
            world = EmulatorWorld(emulator, account)
            sandbox = Sandbox(bundle.scenario.scenario, dict(environ), stack, world)
            env = await start_sandboxes(bundle.scenario.actions, sandbox)
            live = cls(path, bundle, emulator, account, storage, sandbox, env, SandboxClock(),
                       stack)
            offer_funnel(sandbox, live.funnel)  # the engine's own panel, beside the packages'
            live.routes = routes or RouteTable()
            stack.callback(live.routes.drop, live.name)
            live._app = await live._build(bundle)
            await live._app.dispatcher.emit_startup(bot=live._app.bot)
            live._app.jobs.start()
        except BaseException:
            await stack.aclose()
            raise
        return live

    async def _build(self, bundle: ScenarioBundle) -> BotApp:
        bot = make_bot(self.account.token, session=EmulatorSession(self.emulator))
        services = Services()
        services.add(Funnel, self.counts)
        app = await build_app(bundle, bot, self.storage, environ=self.environ, clock=self.clock,
                              services=services)
        try:
            self.routes.replace(self.name, app.routes)  # its admin pages, its API
        except ConfigError:
            await app.close(drain_timeout=0)
            raise
        return app

    def owns(self, path: str | Path) -> bool:
        """Whether ``path`` is this bot's scenario file or lies in its template folder."""
        scenario = self.bundle.scenario
        templates = self.bundle.root / (scenario.templates or f"templates/{scenario.scenario}")
        where = Path(path).resolve()
        return where == self.path.resolve() or where.is_relative_to(templates.resolve())

    @property
    def notes(self) -> list[str]:
        world = self.sandbox.world
        return list(world.notes) if isinstance(world, EmulatorWorld) else []

    async def reload(self) -> ReloadResult:
        """Load the scenario again; when it checks clean, run it in place of the current
        version (open conversations keep their state), else keep the current one."""
        async with self._lock:
            bundle, diagnostics = await asyncio.to_thread(
                load_bundle, self.path, self.bundle.root, template_cache=self.templates)
            if bundle is None or _errors(diagnostics):
                self.diagnostics = _errors(diagnostics) or diagnostics
                return ReloadResult(False, self.diagnostics)
            try:
                app = await self._build(bundle)
            except Exception as exc:  # a start-up hook refused the new settings
                where = Diagnostic(str(self.path), 1, 1, "reload-failed",
                                   f"the new version does not start: {exc}")
                self.diagnostics = [where]
                return ReloadResult(False, self.diagnostics)
            old, self._app, self.bundle = self._app, app, bundle
            self.diagnostics = []
            self.version += 1
            await app.dispatcher.emit_startup(bot=app.bot)
            app.jobs.start()
            if old is not None:
                await old.close(drain_timeout=DRAIN_SECONDS)
            return ReloadResult(True, diagnostics)

    async def deliver(self, update: Mapping[str, Any]) -> None:
        """Hand one update (made by the emulator's user side) to the running version and
        return once it has been handled."""
        app = self.app
        parsed = Update.model_validate(dict(update), context={"bot": app.bot})
        self.emulator.take_updates(self.account)  # keep the emulator's queue in step
        await app.dispatcher.feed_update(app.bot, parsed)

    async def run_jobs(self) -> list[str]:
        """Run the background jobs that are due by the bot's clock; their names."""
        return await self.app.jobs.run_due()

    async def close(self) -> None:
        try:
            if self._app is not None:
                await self._app.close(drain_timeout=DRAIN_SECONDS)
                self._app = None
        finally:
            await self._stack.aclose()
