"""Fixtures for the VIN report desk: a throwaway PostgreSQL cluster, and the ticket store on SQLite and on
PostgreSQL (every store test runs on both, each on a freshly migrated database)."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from actions.tickets.store import TicketStore, create_database_engine, upgrade_database

from .pg_cluster import ClusterError, PostgresCluster, find_bin_dir

T = TypeVar("T")
BACKENDS = ["sqlite", "postgresql"]
_database_numbers = itertools.count(1)


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop in another thread (safe inside any test loop)."""
    box: dict[str, T] = {}
    failure: list[BaseException] = []

    def target() -> None:
        async def main() -> T:
            return await make()

        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="tickets-setup")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return box["value"]


async def create_database(cluster: PostgresCluster, name: str, template: str | None = None) -> str:
    engine = create_async_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await engine.dispose()
    return cluster.url(name)


class ManualClock:
    """The store's clock; tests move it forward explicitly."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of our own on 127.0.0.1 (skipped only when no PostgreSQL is installed)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (tools/install-system-deps.sh installs it)")
    try:
        cluster = PostgresCluster.start(bin_dir)
    except ClusterError as exc:
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of an empty database ``tickets`` on the throwaway cluster."""
    return run_async(lambda: create_database(postgres_cluster, "tickets"))


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster, postgres_url: str) -> str:
    """The ``tickets`` database, migrated once: the template every PostgreSQL test database is copied from."""
    run_async(lambda: upgrade_database(postgres_url))
    return "tickets"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "tickets.db"
    run_async(lambda: upgrade_database(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tickets.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"test_{next(_database_numbers)}"
    return run_async(lambda: create_database(cluster, name, template=template_name))


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without any table (for SQLite: a file that does not exist yet, in a missing folder)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'tickets.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"empty_{next(_database_numbers)}"
    return run_async(lambda: create_database(cluster, name))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
async def store(database_url: str, clock: ManualClock) -> AsyncIterator[TicketStore]:
    ticket_store = TicketStore(create_database_engine(database_url), now=clock)
    try:
        yield ticket_store
    finally:
        await ticket_store.close()
