"""Database URLs and engines for the ticket store: SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite is set up for real transactions (SQLAlchemy emits ``BEGIN`` itself instead of the sqlite3
driver's legacy mode), write transactions start with ``BEGIN IMMEDIATE`` so that they queue on the
database lock instead of failing half-way, and file databases run in WAL mode so readers never wait.
PostgreSQL serialises conflicting work with transaction-scoped advisory locks (:func:`advisory_lock`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any, Final

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

DEFAULT_DATABASE_URL: Final = "sqlite+aiosqlite:///data/vin_report.db"
# Execution option read by the SQLite ``begin`` hook: take the write lock at BEGIN.
WRITE_OPTION: Final = "tickets_write"
SQLITE_BUSY_TIMEOUT_S: Final = 30.0

_ASYNC_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_database_url(database_url: str | URL) -> URL:
    """The URL with its async driver: ``sqlite://`` → ``sqlite+aiosqlite://``, ``postgres(ql)://`` →
    ``postgresql+asyncpg://``. Other backends, other drivers and in-memory SQLite are refused."""
    url = make_url(database_url)
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(f"unsupported database URL scheme {url.drivername!r}: "
                         "use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
    url = url.set(drivername=driver)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite database is not supported: give a file path")
    return url


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL (``None`` for other backends or URI forms)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.query.get("uri"):
        return None
    return Path(url.database)


def create_database_engine(database_url: str | URL, **engine_kwargs: Any) -> AsyncEngine:
    """An async engine for ``database_url``; creates a SQLite file's parent directory when missing."""
    url = async_database_url(database_url)
    if url.get_backend_name() == "postgresql":
        engine_kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **engine_kwargs)
    path = sqlite_path(url)
    if path is not None:
        ensure_wal(path)
    connect_args = dict(engine_kwargs.pop("connect_args", {}))
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_async_engine(url, connect_args=connect_args, **engine_kwargs)
    _install_sqlite_hooks(engine, wal=path is not None)
    return engine


def ensure_wal(path: Path) -> None:
    """Create the SQLite file (and its folder) when missing and put it in WAL mode, once, before any
    engine connects. WAL is a property of the file, so connections never switch it themselves: a switch
    upgrades a read lock to a write lock, which SQLite refuses at once ("database is locked", no busy
    wait) while another connection does the same, as two services starting on a new file did. Switches
    from several processes are serialised by an exclusive ``flock`` on the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()
    finally:
        os.close(folder)  # releases the lock


def _install_sqlite_hooks(engine: AsyncEngine, *, wal: bool) -> None:
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # the driver no longer emits BEGIN; on_begin does
        cursor = dbapi_connection.cursor()
        try:
            if wal:  # the file is in WAL mode already (ensure_wal); this setting is per connection
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)


def advisory_key(*parts: object) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` derived from ``parts``."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(connection: Connection, *parts: object) -> None:
    """On PostgreSQL, hold a transaction-scoped lock named by ``parts`` until the transaction ends.

    A no-op on SQLite, where write transactions already exclude each other (``BEGIN IMMEDIATE``).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(*parts)})
