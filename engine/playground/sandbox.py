"""Sandboxes of action packages: local stand-ins for their external services.

A package a scenario names under ``actions:`` may define, next to ``setup_package``::

    async def setup_sandbox(sandbox: Sandbox) -> None:
        if not sandbox.environ.get("ERP_KEY"):
            server = await sandbox.stack.enter_async_context(ErpEmulator(demo_data()))
            sandbox.set_environ(ERP_URL=server.base_url, ERP_KEY="demo")

The terminal chat, the playground and the test kit (``Playground.open(..., sandbox=True)``) call
it before the bot is built, so the bot then starts as in production, on the environment the
sandboxes provided, with no account and no network. ``sandbox.world`` creates simulated people
and groups in the Bot API emulator (e.g. a help desk's managers' group) and leaves notes for the
person at the keyboard. The production composition root (``engine.runtime.app.build_app``)
never calls this hook; that is how ``engine/`` offers the REGOS demo shop without importing
``actions/`` and without emulators in production code.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from engine.actions import ActionContext
from engine.masking import SECRETS
from engine.runtime.funnel import Funnel

__all__ = ["SANDBOX_HOOK", "Check", "Fixture", "Panel", "Sandbox", "SandboxWorld", "offer_funnel",
           "start_sandboxes"]

SANDBOX_HOOK = "setup_sandbox"
log = logging.getLogger("engine.sandbox")


class SandboxWorld(Protocol):
    """The simulated Telegram of the terminal chat and the playground."""

    def user(self, first_name: str, *, language_code: str | None = None) -> int:
        """A simulated person (created once per name); their user id."""
        ...

    def group(self, title: str, member_ids: Sequence[int]) -> int:
        """A group with these people and the bot (created once per title); its chat id."""
        ...

    def note(self, text: str) -> None:
        """A line shown to the person at the keyboard when the session starts."""
        ...


Fixture = Callable[[Any, ActionContext], Awaitable[str | None]]
"""A fixture kind of conversation tests (``fixtures: {kind: value}``, applied before the test
starts at its window): ``(value written in the test, an action context of the acting user in
their chat)`` -> None when it is in place, else why it could not be."""

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Check = Callable[[Any, int], Awaitable[str | None]]
"""A domain expectation of conversation tests: ``(value written in the test, the acting user's
id)`` -> None when it holds, else what was found instead."""


@dataclass(frozen=True)
class Panel:
    """A table the playground page shows beside the chat (e.g. the demo shop's orders):
    ``rows()`` reads it afresh each time, newest row last; ``columns`` orders the columns."""

    title: str
    rows: Callable[[], Awaitable[list[dict[str, Any]]]]
    columns: tuple[str, ...] = ()


@dataclass
class Sandbox:
    """What a package's ``setup_sandbox`` hook receives; ``stack`` closes after the bot.
    ``checks``: the expectations the package offers conversation tests (``expect: {name: …}``),
    e.g. the shop's ``regos_call``; see :meth:`add_check`. ``panels``: the tables it offers the
    playground page (:meth:`add_panel`). ``fixtures``: the data it can put in place before a
    conversation test starts (:meth:`add_fixture`)."""

    scenario: str
    environ: Mapping[str, str]
    stack: contextlib.AsyncExitStack
    world: SandboxWorld
    checks: dict[str, Check] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)
    #: (method, path, handler): pages and APIs the package serves beside the playground's page
    #: (e.g. the VIN desk's admin panel under /admin); paths under /api/ are the playground's own
    routes: list[tuple[str, str, RouteHandler]] = field(default_factory=list)
    fixtures: dict[str, Fixture] = field(default_factory=dict)

    def add_check(self, name: str, check: Check) -> None:
        self.checks[name] = check

    def add_fixture(self, name: str, fixture: Fixture) -> None:
        """Offer conversation tests a fixture kind (``fixtures: {name: value}``), e.g. the
        shop's ``cart`` and ``customer``, so a test can start at a window with data in place."""
        self.fixtures[name] = fixture

    def add_route(self, method: str, path: str,
                  handler: RouteHandler) -> None:
        """Serve ``method path`` with an aiohttp handler from the playground's server (the
        same handler ``serve`` mounts for production through the package's hook)."""
        if path.startswith("/api/") and not path.startswith("/api/v"):
            raise ValueError(f"{path}: /api/ is the playground's own (use /api/v1/... or another)")
        self.routes.append((method.upper(), path, handler))

    def add_panel(self, name: str, title: str,
                  rows: Callable[[], Awaitable[list[dict[str, Any]]]],
                  columns: Sequence[str] = ()) -> None:
        """Offer the playground page a table (``name`` is its id, ``title`` its heading)."""
        self.panels[name] = Panel(title, rows, tuple(columns))

    @property
    def log(self) -> logging.Logger:
        return log

    def set_environ(self, **values: str) -> None:
        """Provide environment values the bot's start-up (``setup_package``) will see."""
        env = dict(self.environ)
        env.update(values)
        self.environ = env
        SECRETS.add_environ(values)


FUNNEL_COLUMNS = ("window", "entered", "moved_on", "stopped_here", "next")


def offer_funnel(sandbox: Sandbox, current: Callable[[], Funnel | None]) -> None:
    """The engine's own panel ``funnel``: per-window counts of the bot
    (:class:`~engine.runtime.funnel.Funnel`); ``current`` gives the bot's funnel now (the web
    playground builds the bot anew on a reload)."""
    async def rows() -> list[dict[str, Any]]:
        funnel = current()
        return funnel.rows() if funnel is not None else []

    sandbox.add_panel("funnel", "Funnel: who entered each window, where they went",
                      rows, FUNNEL_COLUMNS)


async def start_sandboxes(packages: Mapping[str, str], sandbox: Sandbox) -> Mapping[str, str]:
    """Run the ``setup_sandbox`` hook of every package (once each); the environment they
    leave for the bot."""
    for dotted in dict.fromkeys(packages.values()):
        hook: Any = getattr(importlib.import_module(dotted), SANDBOX_HOOK, None)
        if hook is not None:
            await hook(sandbox)
    return sandbox.environ
