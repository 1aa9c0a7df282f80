"""Report delivery on SQLite and PostgreSQL: the delivery claim and its races, unposted manager cards, the
queue size, and the migration that adds the claim column."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from actions.tickets.store import (
    TicketStatus,
    TicketStore,
    TicketView,
    TransitionCode,
    create_database_engine,
    upgrade_database,
)
from actions.tickets.store.database import WRITE_OPTION
from actions.tickets.store.migrate import alembic_config, current_revision

from .conftest import ManualClock

VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539", "KMHD35LH5EU205042",
        "WDBEA30D3HA391172", "4T1SK12E1NU028452", "2T1BURHE0JC074125"]
CUSTOMER, CHAT, MANAGER, OTHER_MANAGER = 1001, 2001, 501, 502


async def open_ticket(store: TicketStore, vin: str = VINS[0], customer: int = CUSTOMER) -> TicketView:
    result = await store.create(vin, customer, CHAT, "Ann", max_per_hour=100)
    assert result.ticket is not None
    return result.ticket


async def taken_ticket(store: TicketStore, vin: str = VINS[0], customer: int = CUSTOMER,
                       manager: int = MANAGER) -> TicketView:
    ticket = await open_ticket(store, vin, customer)
    assert (await store.take(ticket.id, manager, f"m{manager}")).ok
    return ticket


# --- the delivery claim ----------------------------------------------------------------------------


async def test_the_assignee_claims_the_delivery(store: TicketStore, clock: ManualClock) -> None:
    ticket = await taken_ticket(store)
    assert ticket.delivery_started_at is None
    clock.advance(minutes=3)
    claim = await store.begin_delivery(ticket.id, MANAGER)
    assert claim.code is TransitionCode.OK
    assert claim.ticket is not None
    assert (claim.ticket.status, claim.ticket.assignee_id, claim.ticket.delivery_started_at) == (
        TicketStatus.TAKEN, MANAGER, clock.current)
    assert await store.get(ticket.id) == claim.ticket
    clock.advance(seconds=5)
    again = await store.begin_delivery(ticket.id, MANAGER)  # a double click while the first one sends
    assert (again.code, again.ticket) == (TransitionCode.DELIVERING, claim.ticket)


@pytest.mark.parametrize("contenders", [10])
async def test_simultaneous_claims_have_exactly_one_winner(store: TicketStore, clock: ManualClock,
                                                           contenders: int) -> None:
    for n in range(3):
        ticket = await taken_ticket(store, customer=CUSTOMER + n)
        for _ in range(2):  # a fresh ticket, then the same ticket once its claim went stale
            results = await asyncio.gather(*(store.begin_delivery(ticket.id, MANAGER)
                                             for _ in range(contenders)))
            codes = sorted(r.code for r in results)
            assert codes == [TransitionCode.DELIVERING] * (contenders - 1) + [TransitionCode.OK]
            assert all(r.ticket is not None and r.ticket.delivery_started_at == clock.current
                       for r in results)
            clock.advance(minutes=5)


async def test_claims_that_are_refused_say_why(store: TicketStore) -> None:
    new = await open_ticket(store, VINS[0])
    others = await taken_ticket(store, VINS[1], manager=OTHER_MANAGER)
    done = await taken_ticket(store, VINS[2])
    await store.finish(done.id, MANAGER, "file")
    canceled = await open_ticket(store, VINS[3])
    await store.cancel(canceled.id, CUSTOMER)
    deleted = await taken_ticket(store, VINS[4])
    await store.soft_delete(deleted.id)
    expected = [(new.id, TransitionCode.WRONG_STATUS), (others.id, TransitionCode.NOT_ASSIGNEE),
                (done.id, TransitionCode.WRONG_STATUS), (canceled.id, TransitionCode.WRONG_STATUS),
                (deleted.id, TransitionCode.NOT_FOUND), (999_999, TransitionCode.NOT_FOUND)]
    for ticket_id, code in expected:
        result = await store.begin_delivery(ticket_id, MANAGER)
        assert result.code is code
        assert (result.ticket is None) is (code is TransitionCode.NOT_FOUND)
        assert result.ticket is None or result.ticket.delivery_started_at is None  # nothing was claimed
    held = await store.begin_delivery(others.id, MANAGER)
    assert held.ticket is not None
    assert held.ticket.assignee_id == OTHER_MANAGER


async def test_a_stale_claim_can_be_taken_over(store: TicketStore, clock: ManualClock) -> None:
    ticket = await taken_ticket(store)
    first = clock.current
    assert (await store.begin_delivery(ticket.id, MANAGER)).ok
    clock.advance(minutes=4, seconds=59)
    fresh = await store.begin_delivery(ticket.id, MANAGER)
    assert fresh.code is TransitionCode.DELIVERING
    assert fresh.ticket is not None
    assert fresh.ticket.delivery_started_at == first
    clock.advance(seconds=1)  # exactly stale_after: the sender is presumed dead
    again = await store.begin_delivery(ticket.id, MANAGER)
    assert again.ok
    assert again.ticket is not None
    assert again.ticket.delivery_started_at == clock.current
    clock.advance(seconds=30)
    assert (await store.begin_delivery(ticket.id, MANAGER)).code is TransitionCode.DELIVERING
    assert (await store.begin_delivery(ticket.id, MANAGER, stale_after=timedelta(seconds=30))).ok
    with pytest.raises(ValueError, match="stale_after"):
        await store.begin_delivery(ticket.id, MANAGER, stale_after=timedelta(0))


async def test_abort_releases_the_claim_for_the_next_attempt(store: TicketStore, clock: ManualClock) -> None:
    ticket = await taken_ticket(store)
    claim = (await store.begin_delivery(ticket.id, MANAGER)).ticket
    assert claim is not None
    assert claim.delivery_started_at is not None
    claimed_at = claim.delivery_started_at
    assert await store.abort_delivery(ticket.id, MANAGER, claimed_at=claimed_at)
    released = await store.get(ticket.id)
    assert released is not None
    assert (released.status, released.delivery_started_at) == (TicketStatus.TAKEN, None)
    assert not await store.abort_delivery(ticket.id, MANAGER, claimed_at=claimed_at)  # nothing to release
    clock.advance(seconds=1)
    retry = await store.begin_delivery(ticket.id, MANAGER)  # at once, no need to wait for staleness
    assert retry.ok
    assert retry.ticket is not None
    assert retry.ticket.delivery_started_at == clock.current
    new = await open_ticket(store, VINS[1])
    deleted = await taken_ticket(store, VINS[2])
    await store.begin_delivery(deleted.id, MANAGER)
    await store.soft_delete(deleted.id)
    for ticket_id in (new.id, deleted.id, 999_999):
        assert not await store.abort_delivery(ticket_id, MANAGER, claimed_at=clock.current)


async def test_finish_releases_the_claim(store: TicketStore, clock: ManualClock) -> None:
    ticket = await taken_ticket(store)
    assert (await store.begin_delivery(ticket.id, MANAGER)).ok
    stranger = await store.finish(ticket.id, OTHER_MANAGER, "file")
    assert stranger.code is TransitionCode.NOT_ASSIGNEE
    assert stranger.ticket is not None
    assert stranger.ticket.delivery_started_at == clock.current  # the claim is untouched
    clock.advance(seconds=20)
    done = await store.finish(ticket.id, MANAGER, "BQACAgIAAxkBAAI")
    assert done.ok
    assert done.ticket is not None
    assert (done.ticket.status, done.ticket.done_at, done.ticket.delivery_started_at) == (
        TicketStatus.DONE, clock.current, None)
    assert not await store.abort_delivery(ticket.id, MANAGER,
                                          claimed_at=clock.current - timedelta(seconds=20))
    assert (await store.begin_delivery(ticket.id, MANAGER)).code is TransitionCode.WRONG_STATUS


# --- unposted cards and the queue size -------------------------------------------------------------


async def test_unposted_lists_old_open_tickets_without_a_card(store: TicketStore, clock: ManualClock) -> None:
    tickets = []
    for vin in VINS[:6]:
        tickets.append(await open_ticket(store, vin))
        clock.advance(minutes=1)
    oldest, posted, taken, canceled, deleted, done = tickets
    await store.set_card_message(posted.id, 9001, chat_id=-100)
    await store.take(taken.id, MANAGER, "Max")
    await store.cancel(canceled.id, CUSTOMER)
    await store.soft_delete(deleted.id)
    await store.take(done.id, MANAGER, "Max")
    await store.finish(done.id, MANAGER, "file")
    young = await open_ticket(store, VINS[6])
    clock.advance(seconds=59)

    unposted = await store.unposted(timedelta(minutes=1))
    assert [t.id for t in unposted] == [oldest.id, taken.id]  # young is 59 s old
    assert all(t.card_message_id is None and t.is_open for t in unposted)
    assert [t.id for t in await store.unposted(timedelta(minutes=1), limit=1)] == [oldest.id]
    clock.advance(seconds=1)  # exactly older_than
    assert [t.id for t in await store.unposted(timedelta(minutes=1))] == [oldest.id, taken.id, young.id]
    await store.set_card_message(oldest.id, 9002)  # the job posted it again
    assert [t.id for t in await store.unposted(timedelta(0))] == [taken.id, young.id]


async def test_count_open_counts_the_visible_queue(store: TicketStore) -> None:
    assert await store.count_open() == 0
    tickets = [await open_ticket(store, vin) for vin in VINS[:5]]
    assert await store.count_open() == 5
    waiting, held, done, canceled, deleted = tickets
    await store.take(held.id, MANAGER, "Max")
    await store.take(done.id, MANAGER, "Max")
    await store.finish(done.id, MANAGER, "file")
    await store.cancel(canceled.id, CUSTOMER)
    await store.soft_delete(deleted.id)
    assert await store.count_open() == 2 == len(await store.open_tickets())
    assert {t.id for t in await store.open_tickets()} == {waiting.id, held.id}


# --- the migration ---------------------------------------------------------------------------------

V1_COLUMNS = ("id, vin, customer_user_id, customer_chat_id, customer_name, status, priority, assignee_id, "
              "assignee_name, card_chat_id, card_message_id, report_file_id, created_at, taken_at, done_at, "
              "canceled_at, last_reminded_at, deleted_at")


def schema_facts(connection: Connection) -> dict[str, Any]:
    """Columns, indexes (with their partial conditions), CHECKs and the revision of the tickets table."""
    inspector = inspect(connection)
    return {
        "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns("tickets")],
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]),
                           sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items()))
                          for i in inspector.get_indexes("tickets")),
        "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints("tickets")),
        "revision": current_revision(connection),
    }


async def snapshot(url: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The schema facts and every ticket row (the columns of revision 0001)."""
    engine = create_database_engine(url)
    try:
        async with engine.connect() as connection:
            facts = await connection.run_sync(schema_facts)
            rows = (await connection.execute(text(f"SELECT {V1_COLUMNS} FROM tickets ORDER BY id"))).all()
            return facts, [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def downgrade_database(url: str, revision: str) -> None:
    engine = create_database_engine(url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_OPTION: True})
            async with connection.begin():
                await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


async def test_0002_upgrades_and_downgrades_without_losing_tickets(empty_database_url: str,
                                                                   clock: ManualClock) -> None:
    await upgrade_database(empty_database_url, "0001")
    engine = create_database_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO tickets (vin, customer_user_id, customer_chat_id, customer_name, status, "
                "priority, assignee_id, assignee_name, card_chat_id, card_message_id, created_at, taken_at) "
                "VALUES "
                "(:vin, 1, 2, 'Ann', 'TAKEN', 3, :manager, 'Max', -100, 77, '2026-03-01 08:00:00', "
                "'2026-03-01 08:30:00')"), {"vin": VINS[0], "manager": MANAGER})
    finally:
        await engine.dispose()
    before, rows = await snapshot(empty_database_url)
    assert before["revision"] == "0001"
    assert len(rows) == 1

    await upgrade_database(empty_database_url, "0002")
    upgraded, upgraded_rows = await snapshot(empty_database_url)
    assert upgraded["revision"] == "0002"
    assert [c[0] for c in upgraded["columns"]] == [c[0] for c in before["columns"]] + ["delivery_started_at"]
    assert (upgraded["indexes"], upgraded["checks"]) == (before["indexes"], before["checks"])
    assert upgraded_rows == rows
    await upgrade_database(empty_database_url)  # the store needs the newest schema
    store = TicketStore(create_database_engine(empty_database_url), now=clock)
    try:
        ticket_id = rows[0][0]
        stored = await store.get(ticket_id)
        assert stored is not None
        assert (stored.status, stored.card_message_id, stored.delivery_started_at) == (
            TicketStatus.TAKEN, 77, None)
        assert (await store.begin_delivery(ticket_id, MANAGER)).ok  # a claim the downgrade drops
    finally:
        await store.close()

    await downgrade_database(empty_database_url, "0001")
    after, after_rows = await snapshot(empty_database_url)
    assert (after, after_rows) == (before, rows)
    engine = create_database_engine(empty_database_url)
    try:
        with pytest.raises(IntegrityError):  # the partial unique index survived the rebuild on SQLite
            async with engine.begin() as connection:
                await connection.execute(text(
                    "INSERT INTO tickets (vin, customer_user_id, customer_chat_id, customer_name, status, "
                    "created_at) VALUES (:vin, 1, 2, 'Ann', 'NEW', CURRENT_TIMESTAMP)"), {"vin": VINS[0]})
    finally:
        await engine.dispose()
    await upgrade_database(empty_database_url, "0002")  # and up again
    assert (await snapshot(empty_database_url))[0] == upgraded
