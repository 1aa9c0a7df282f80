"""Schema migrations (Alembic, ``actions/tickets/migrations``) applied programmatically at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, Connection

from .database import WRITE_OPTION, advisory_lock, create_database_engine

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent.parent / "migrations"
# Our own version table, so other packages can keep their migrations in the same database.
VERSION_TABLE: Final = "tickets_alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the ticket migrations; ``connection`` is used by ``env.py`` as is."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    # Two processes starting at once: the second waits here, then finds nothing to do.
    advisory_lock(connection, "tickets.migrations")
    command.upgrade(alembic_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


async def upgrade_database(database_url: str | URL, revision: str = "head") -> None:
    """Bring the database to ``revision`` (the newest by default); a no-op when it is already there.

    Creates a SQLite file (and its directory) when missing. Runs in one transaction: on PostgreSQL a
    failed migration leaves the schema untouched.
    """
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_OPTION: True})
            async with connection.begin():
                await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()
