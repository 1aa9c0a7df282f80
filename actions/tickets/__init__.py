"""The VIN report desk: customers send a VIN, managers take the ticket and answer with a PDF report.

``setup_package`` (called by the engine at start-up) applies the database migrations, opens the
ticket store from ``DATABASE_URL`` (SQLite by default, PostgreSQL through asyncpg) and registers
the :class:`~actions.tickets.desk_service.Desk` service. In the sandbox (``python -m engine
shell``) without ``DATABASE_URL`` / ``MANAGER_CHAT_ID`` it uses a throwaway SQLite file and creates
a simulated managers' group with one manager, so one person can play the customer and a manager.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from actions.tickets.desk_service import Desk
from actions.tickets.store import DEFAULT_DATABASE_URL, create_store, upgrade_database
from engine.errors import ConfigError
from engine.packages import PackageContext
from engine.settings import Settings

__all__ = ["setup_package"]

SANDBOX_GROUP = "Managers"
SANDBOX_MANAGER = "Manager"


def _sandbox_database(pkg: PackageContext) -> str:
    folder = pkg.stack.enter_context(tempfile.TemporaryDirectory(prefix="vin-desk-"))
    return f"sqlite+aiosqlite:///{Path(folder) / 'vin_report.db'}"


def _sandbox_desk(pkg: PackageContext) -> None:
    world = pkg.world
    if world is None or pkg.environ.get("MANAGER_CHAT_ID"):
        return
    manager = world.user(SANDBOX_MANAGER)
    group = world.group(SANDBOX_GROUP, [manager])
    pkg.set_environ(MANAGER_CHAT_ID=str(group))
    if not pkg.environ.get("MANAGER_IDS"):
        pkg.set_environ(MANAGER_IDS=str(manager))
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


async def setup_package(pkg: PackageContext) -> None:
    url = pkg.environ.get("DATABASE_URL")
    if not url:
        url = _sandbox_database(pkg) if pkg.sandbox else DEFAULT_DATABASE_URL
    if pkg.sandbox:
        _sandbox_desk(pkg)
    try:
        await upgrade_database(url)
    except ValueError as exc:  # a URL of another back-end or driver, or no URL at all
        raise ConfigError(f"DATABASE_URL: {exc}") from None
    except (SQLAlchemyError, OSError) as exc:
        raise ConfigError(f"cannot prepare the ticket database (DATABASE_URL): {exc}") from exc
    store = create_store(url, now=pkg.clock)
    pkg.stack.push_async_callback(store.close)
    pkg.services.add(Desk, Desk(store, pkg.kv, bot_key=pkg.scenario))
    pkg.after_settings(_check_managers)
