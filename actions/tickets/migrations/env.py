"""Alembic environment for the ticket store (async URLs; SQLite and PostgreSQL).

Programmatic runs (``upgrade_database``) hand over an open connection in ``config.attributes``; the
Alembic command line (``alembic -c actions/tickets/migrations/alembic.ini ...``) connects to
``DATABASE_URL`` (or the default SQLite file) itself.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from actions.tickets.store.database import DEFAULT_DATABASE_URL, WRITE_OPTION, create_database_engine
from actions.tickets.store.migrate import VERSION_TABLE
from actions.tickets.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_database_engine(url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_OPTION: True})
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def main() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL") \
        or DEFAULT_DATABASE_URL
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
    else:
        asyncio.run(_run_with_own_engine(url))


# Alembic executes this file as a script; importing it as part of the package does nothing.
if not __name__.startswith("actions."):
    main()
