"""Alembic migrations of the ticket store: they build exactly the models' schema, on both backends."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from actions.tickets.store import (
    DEFAULT_DATABASE_URL,
    async_database_url,
    create_database_engine,
    upgrade_database,
)
from actions.tickets.store.migrate import MIGRATIONS_DIR, VERSION_TABLE, current_revision
from actions.tickets.store.models import Base

ROOT = Path(__file__).resolve().parents[2]
HEAD = "0006"


def schema_differences(connection: Connection) -> list[Any]:
    options = {"version_table": VERSION_TABLE, "compare_type": True}
    context = MigrationContext.configure(connection, opts=options)
    return list(compare_metadata(context, Base.metadata))


def schema_facts(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        "tables": sorted(inspector.get_table_names()),
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in inspector.get_indexes("tickets")),
        "checks": sorted(c["name"] for c in inspector.get_check_constraints("tickets")),
        "revision": current_revision(connection),
    }


async def inspect_database(url: str) -> tuple[list[Any], dict[str, Any]]:
    engine = create_database_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.run_sync(schema_differences),
                    await connection.run_sync(schema_facts))
    finally:
        await engine.dispose()


async def test_the_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    await upgrade_database(empty_database_url)
    differences, facts = await inspect_database(empty_database_url)
    assert differences == []
    assert facts["tables"] == sorted(["panel_accounts", "panel_sessions", "ticket_deliveries",
                                      "ticket_history", "tickets", "tickets_outbox", VERSION_TABLE])
    assert facts["revision"] == HEAD
    assert facts["checks"] == ["ck_tickets_status"]
    assert ("uq_tickets_open_customer_vin", ("customer_user_id", "vin"), True) in facts["indexes"]
    assert {name for name, _, _ in facts["indexes"]} == {
        index.name for index in Base.metadata.tables["tickets"].indexes}


async def test_upgrading_twice_is_a_no_op(empty_database_url: str) -> None:
    await upgrade_database(empty_database_url)
    engine = create_database_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO tickets (vin, customer_user_id, customer_chat_id, customer_name, status, "
                "created_at) VALUES ('1HGBH41JXMN109186', 1, 1, 'Ann', 'NEW', CURRENT_TIMESTAMP)"))
    finally:
        await engine.dispose()
    _, before = await inspect_database(empty_database_url)
    await upgrade_database(empty_database_url)
    differences, after = await inspect_database(empty_database_url)
    assert (differences, after) == ([], before)
    engine = create_database_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_simultaneous_upgrades_both_succeed(empty_database_url: str) -> None:
    await asyncio.gather(upgrade_database(empty_database_url), upgrade_database(empty_database_url))
    differences, facts = await inspect_database(empty_database_url)
    assert (differences, facts["revision"]) == ([], HEAD)


def test_a_new_sqlite_file_is_in_wal_mode_before_any_connection(tmp_path: Path) -> None:
    """Connections never switch the journal mode (two doing it at once made one fail with "database
    is locked"): the file is made in WAL mode when its engine is created."""
    path = tmp_path / "new" / "tickets.db"
    create_database_engine(f"sqlite+aiosqlite:///{path}")
    header = path.read_bytes()[:100]
    assert header.startswith(b"SQLite format 3\x00")
    assert (header[18], header[19]) == (2, 2), "file format versions 2/2 mean WAL"


def test_upgrades_from_several_processes_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'tickets.db'}"
    script = ("import asyncio, sys; from actions.tickets.store import upgrade_database; "
              "print('ready', flush=True); sys.stdin.read(); asyncio.run(upgrade_database(sys.argv[1]))")
    processes = [subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    try:
        # all have imported everything; closing their stdin starts the four upgrades together
        assert [p.stdout.readline() for p in processes if p.stdout] == ["ready\n"] * 4
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in processes:
            process.wait(timeout=60)
        errors = [process.stderr.read() for process in processes if process.stderr]
    finally:
        for process in processes:
            process.kill()
            process.wait()
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
    assert [p.returncode for p in processes] == [0] * 4, errors
    differences, facts = asyncio.run(inspect_database(url))
    assert (differences, facts["revision"]) == ([], HEAD)


async def test_the_partial_unique_index_allows_one_open_ticket_per_customer_and_vin(
        empty_database_url: str) -> None:
    await upgrade_database(empty_database_url)
    def insert(status: str, deleted: bool = False) -> Any:
        deleted_at = "CURRENT_TIMESTAMP" if deleted else "NULL"
        return text("INSERT INTO tickets (vin, customer_user_id, customer_chat_id, customer_name, status, "
                    "created_at, deleted_at) VALUES ('1HGBH41JXMN109186', 1, 1, 'Ann', :status, "
                    f"CURRENT_TIMESTAMP, {deleted_at})").bindparams(status=status)

    engine = create_database_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            for statement in [insert("DONE"), insert("CANCELED"), insert("NEW", deleted=True), insert("NEW"),
                              insert("DONE")]:
                await connection.execute(statement)
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert("TAKEN"))
    finally:
        await engine.dispose()


async def test_a_missing_sqlite_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "tickets.db"
    await upgrade_database(f"sqlite:///{path}")  # a sync-style URL gets the async driver
    assert path.is_file()


def test_the_alembic_command_line_uses_database_url(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    ini = str(MIGRATIONS_DIR / "alembic.ini")
    for args in (["upgrade", "head"], ["current"]):
        result = subprocess.run([sys.executable, "-m", "alembic", "-c", ini, *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
    assert f"{HEAD} (head)" in result.stdout
    differences, facts = asyncio.run(inspect_database(f"sqlite+aiosqlite:///{path}"))
    assert (differences, facts["revision"]) == ([], HEAD)


def test_importing_the_alembic_environment_does_nothing() -> None:
    module = importlib.import_module("actions.tickets.migrations.env")
    assert callable(module.main)


@pytest.mark.parametrize(("given", "expected"), [
    ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
    ("sqlite+aiosqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
    ("postgres://u@db:5432/vin", "postgresql+asyncpg://u@db:5432/vin"),
    ("postgresql://u@db/vin", "postgresql+asyncpg://u@db/vin"),
    ("postgresql+asyncpg://u@db/vin", "postgresql+asyncpg://u@db/vin"),
])
def test_database_urls_get_their_async_driver(given: str, expected: str) -> None:
    assert async_database_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "sqlite://",
                                 "sqlite+aiosqlite:///:memory:"])
def test_unsupported_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"not supported|unsupported"):
        async_database_url(url)


def test_the_default_database_is_a_sqlite_file_under_data() -> None:
    assert DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///data/vin_report.db"
