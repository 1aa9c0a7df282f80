"""Start-up hooks of action packages: services, settings sources and checks.

A package a scenario names under ``actions:`` may define, in its top module::

    async def setup_package(pkg: PackageContext) -> None:
        client = await pkg.stack.enter_async_context(httpx.AsyncClient())
        pkg.services.add(ShopApi, ShopApi(client, ...))
        pkg.add_settings_source(ErpSettings(...))       # settings from an external system
        pkg.after_settings(check_ids_exist)             # start-up checks over resolved settings
        pkg.add_route("GET", "/admin/", admin_index)    # served by serve and the playground

The engine calls it once, before settings are resolved, and closes ``pkg.stack`` when the bot
stops. It is the same in production, the terminal chat and tests: local emulators of external
services are a package's separate ``setup_sandbox`` hook (:mod:`engine.playground.sandbox`),
which only the shell, the playground and the test kit call, before this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from engine.actions import Services
from engine.errors import ConfigError, EngineError, ServiceUnavailable, StartupError
from engine.masking import SECRETS
from engine.routes import PackageRoute, RouteHandler
from engine.runtime.storage import KeyValueStore
from engine.scenario.schema import SettingSpec
from engine.settings import Settings, resolve_settings
from engine.startup import StartupRetry

__all__ = ["HOOK_NAME", "LiveSettings", "PackageContext", "SettingsSource", "start_packages"]

HOOK_NAME = "setup_package"
log = logging.getLogger("engine.packages")
SettingsCheck = Callable[[Settings], Awaitable[None]]


class SettingsSource(Protocol):
    """Raw string settings from an external system (keys upper-case); may raise when down."""

    name: str

    async def fetch(self) -> Mapping[str, str]: ...


@dataclass
class PackageContext:
    """What a package's ``setup_package`` hook receives."""

    scenario: str
    environ: Mapping[str, str]
    services: Services
    kv: KeyValueStore
    redis: Redis | None
    clock: Callable[[], datetime]
    stack: contextlib.AsyncExitStack
    settings_sources: list[SettingsSource] = field(default_factory=list)
    checks: list[SettingsCheck] = field(default_factory=list)
    routes: list[PackageRoute] = field(default_factory=list)

    @property
    def log(self) -> logging.Logger:
        return log

    def add_settings_source(self, source: SettingsSource) -> None:
        self.settings_sources.append(source)

    def after_settings(self, check: SettingsCheck) -> None:
        """Run ``check(settings)`` at start-up once settings are resolved (raise ConfigError)."""
        self.checks.append(check)

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``method path`` (``{name}`` parts allowed) beside the bot, under ``serve`` and
        in the web playground: ``handler(request, ctx)`` with a
        :class:`~engine.routes.RouteContext` (:mod:`engine.routes`). A path another bot of the
        server serves, or one the server keeps for itself, stops the start."""
        route = PackageRoute.of(method, path, handler)
        if any(r.path == path and r.method == route.method for r in self.routes):
            raise ConfigError(f"route {route.method} {path} is registered twice")
        self.routes.append(route)


class LiveSettings:
    """Settings re-resolved from their sources at most every ``ttl`` seconds.

    A failed refresh (the source is down and has no stale copy, or a value does not parse)
    keeps the last good settings and logs a warning: a running bot never loses its settings.
    """

    def __init__(self, specs: Mapping[str, SettingSpec], environ: Mapping[str, str],
                 sources: list[SettingsSource], current: Settings, *, ttl: float = 60,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.specs = specs
        self.environ = environ
        self.sources = sources
        self.current = current
        self.ttl = ttl
        self._monotonic = monotonic
        self._fetched_at = monotonic()
        self._lock = asyncio.Lock()

    def due(self) -> bool:
        return bool(self.sources) and self._monotonic() - self._fetched_at >= self.ttl

    async def refresh(self, *, force: bool = False) -> Settings:
        """Re-resolve when due (``force``: now, e.g. the external system said they changed)."""
        if not force and not self.due():
            return self.current
        async with self._lock:
            if not force and not self.due():
                return self.current
            self._fetched_at = self._monotonic()
            try:
                raw = [dict(await source.fetch()) for source in self.sources]
                self.current = resolve_settings(self.specs, self.environ, raw)
            except Exception as exc:  # keep serving the last good settings
                log.warning("settings refresh failed, keeping the previous ones: %s", exc)
        return self.current


async def _fetch_all(sources: list[SettingsSource]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for source in sources:
        try:
            found.append(dict(await source.fetch()))
        except ServiceUnavailable:
            raise  # tried again when transient; reported by start_packages
        except EngineError as exc:
            raise ConfigError(f"cannot read settings from {source.name}: {exc}") from exc
        except Exception as exc:
            raise ConfigError(f"cannot read settings from {source.name}: {exc!r}") from exc
    return found


def _service(exc: BaseException) -> str:
    return getattr(exc, "service", "") or "a service"


async def _resolve(specs: Mapping[str, SettingSpec], pkg: PackageContext) -> Settings:
    raw = await _fetch_all(pkg.settings_sources)
    settings = resolve_settings(specs, pkg.environ, raw)
    SECRETS.add(*(settings.get(name) for name, spec in specs.items() if spec.secret))
    for check in pkg.checks:
        await check(settings)
    return settings


async def start_packages(
    scenario_id: str, packages: Mapping[str, str], specs: Mapping[str, SettingSpec],
    pkg: PackageContext, *, refresh_ttl: float = 60, retry: StartupRetry | None = None,
) -> LiveSettings:
    """Run every package hook, then resolve settings and run the packages' checks.

    A service that does not answer while settings are read and checked is tried again for
    ``retry``'s time (none by default); a service's refusal, or no answer in that time, is a
    :class:`~engine.errors.StartupError` naming the service, with its hint.
    """
    try:
        for dotted in dict.fromkeys(packages.values()):
            module = importlib.import_module(dotted)
            hook: Any = getattr(module, HOOK_NAME, None)
            if hook is not None:
                await hook(pkg)
        settings = await (retry or StartupRetry.none()).run(
            _service, lambda: _resolve(specs, pkg))
    except ServiceUnavailable as exc:
        raise StartupError(f"{_service(exc)} refused a start-up call: {exc}",
                           hint=exc.hint) from exc
    live = LiveSettings(specs, pkg.environ, pkg.settings_sources, settings, ttl=refresh_ttl)
    log.debug("scenario %s: %d settings source(s)", scenario_id, len(pkg.settings_sources))
    return live
