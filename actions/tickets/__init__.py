"""The VIN report desk: customers send a VIN, managers take the ticket and answer with a PDF report.

``setup_package`` (called by the engine at start-up) applies the database migrations, opens the
ticket store from ``DATABASE_URL`` (SQLite by default, PostgreSQL through asyncpg) and registers
the :class:`~actions.tickets.desk_service.Desk` service (and, under ``serve``, the database's
readiness probe). ``setup_sandbox`` (called only by
``python -m engine shell`` and the test kit, before that) fills in what is not set: a throwaway
SQLite file for ``DATABASE_URL``, and for ``MANAGER_CHAT_ID`` a simulated managers' group with
one manager, so one person can play the customer and a manager.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.tickets.api import register_api
from actions.tickets.api.keys import hash_key, new_key
from actions.tickets.desk_service import Desk
from actions.tickets.integrations import IntegrationSettings, start_integrations
from actions.tickets.metrics import stop as stop_refreshing
from actions.tickets.panel import register_panel
from actions.tickets.panel.security import hash_password
from actions.tickets.store import DEFAULT_DATABASE_URL, TicketStore, create_store, upgrade_database
from engine.errors import ConfigError
from engine.health import MetricsExport, Readiness
from engine.packages import PackageContext
from engine.settings import Settings

if TYPE_CHECKING:  # the sandbox is never part of a production start
    from engine.playground.sandbox import Sandbox

__all__ = ["setup_package", "setup_sandbox"]

SANDBOX_GROUP = "Managers"
SANDBOX_MANAGER = "Manager"


async def setup_sandbox(sandbox: Sandbox) -> None:
    if not sandbox.environ.get("DATABASE_URL"):
        folder = sandbox.stack.enter_context(tempfile.TemporaryDirectory(prefix="vin-desk-"))
        sandbox.set_environ(DATABASE_URL=f"sqlite+aiosqlite:///{Path(folder) / 'vin_report.db'}")
    from actions.tickets.sandbox_checks import offer_checks
    from actions.tickets.sandbox_panels import offer_panels

    offer_checks(sandbox, sandbox.environ["DATABASE_URL"])
    offer_panels(sandbox, sandbox.environ["DATABASE_URL"])
    if not sandbox.environ.get("PANEL_DEMO_PASSWORD"):  # the admin panel's demo account
        sandbox.set_environ(PANEL_DEMO_PASSWORD=secrets.token_urlsafe(9))
    sandbox.world.note(f"The admin panel (/admin): log in as 'admin' with the password "
                       f"{sandbox.environ['PANEL_DEMO_PASSWORD']}.")
    if not sandbox.environ.get("API_KEYS"):  # the API for apps, tried from a terminal
        key = new_key()
        sandbox.set_environ(API_KEYS=f"playground:{hash_key(key)}")
        sandbox.world.note(f"The API for apps (/api/v1) takes the key {key} "
                           "(Authorization: Bearer KEY, X-Customer-Id: a user id).")
    if sandbox.environ.get("MANAGER_CHAT_ID"):
        return
    world = sandbox.world
    manager = world.user(SANDBOX_MANAGER)
    group = world.group(SANDBOX_GROUP, [manager])
    sandbox.set_environ(MANAGER_CHAT_ID=str(group))
    if not sandbox.environ.get("MANAGER_IDS"):
        sandbox.set_environ(MANAGER_IDS=str(manager))
    world.note(f"The managers' group is {SANDBOX_GROUP!r} (id {group}); {SANDBOX_MANAGER!r} "
               f"(id {manager}) is the manager. Send a VIN here, then ':user {SANDBOX_MANAGER}' "
               f"and ':group {SANDBOX_GROUP}' to take it; finish with "
               "':reply N :file scenarios/samples/report.pdf' (N: the card's number).")


async def _check_managers(settings: Settings) -> None:
    chat_id = settings.get("MANAGER_CHAT_ID")
    if isinstance(chat_id, int) and chat_id > 0:
        raise ConfigError(f"MANAGER_CHAT_ID must be a group's id (negative), not {chat_id}")
    if not settings.get("MANAGER_IDS"):
        logging.getLogger("actions.tickets").warning(
            "MANAGER_IDS is empty: nobody can take or finish tickets until it lists the "
            "managers' Telegram user ids")


async def _demo_account(store: TicketStore, password: str) -> None:
    if not await store.add_account("admin", hash_password(password)):
        await store.set_password("admin", hash_password(password))


async def setup_package(pkg: PackageContext) -> None:
    url = pkg.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        await upgrade_database(url)
    except ValueError as exc:  # a URL of another back-end or driver, or no URL at all
        raise ConfigError(f"DATABASE_URL: {exc}") from None
    except (SQLAlchemyError, OSError) as exc:
        raise ConfigError(f"cannot prepare the ticket database (DATABASE_URL): {exc}") from exc
    integrations = IntegrationSettings.from_environ(pkg.environ)
    store = create_store(url, now=pkg.clock, routing=integrations.routing)
    pkg.stack.push_async_callback(store.close)
    desk = Desk(store, pkg.kv, bot_key=pkg.scenario)
    try:  # reports delivered just before a crash: DONE now, never sent twice
        desk.settled_at_start.extend(await store.reconcile())
    except (SQLAlchemyError, OSError) as exc:
        raise ConfigError(f"cannot reconcile the delivery journal (DATABASE_URL): {exc}") from exc
    if integrations.routing.active:  # webhooks and/or the report archive, fed by the outbox relay
        desk.relay, desk.outbox, desk.archive = await start_integrations(
            integrations, store, pkg.services, pkg.stack, desk.metrics)
    pkg.services.add(Desk, desk)
    if (export := pkg.services.find(MetricsExport)) is not None:  # serve's /metrics
        export.add(desk.metrics.registry)
        refreshing = desk.metrics.start_refreshing(store, desk.outbox)
        pkg.stack.push_async_callback(stop_refreshing, refreshing)
    if demo_password := pkg.environ.get("PANEL_DEMO_PASSWORD"):  # only a sandbox sets it
        await _demo_account(store, demo_password)
    pkg.after_settings(_check_managers)
    register_api(pkg)  # /api/v1 for apps, beside the bot
    register_panel(pkg, store)  # /admin
    if (readiness := pkg.services.find(Readiness)) is not None:  # serve's /readyz

        async def database() -> None:
            async with store.engine.connect() as connection:
                await connection.execute(select(1))

        readiness.add("database", database)
