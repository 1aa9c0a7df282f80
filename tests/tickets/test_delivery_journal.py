"""The delivery journal on SQLite and PostgreSQL: the sent report is recorded before the ticket is DONE, a
crash in between never leads to a second copy, reconciliation finishes such tickets, only the holder of a
delivery claim may release it, and the customer's language is kept on the ticket."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import text

from actions.tickets.store import (
    TicketStatus,
    TicketStore,
    TicketView,
    TransitionCode,
    create_database_engine,
    upgrade_database,
)

from .conftest import ManualClock

VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539", "KMHD35LH5EU205042"]
CUSTOMER, CHAT, MANAGER, OTHER_MANAGER = 1001, 2001, 501, 502


async def claimed(store: TicketStore, vin: str = VINS[0], customer: int = CUSTOMER,
                  locale: str | None = "uz") -> tuple[TicketView, datetime]:
    created = await store.create(vin, customer, CHAT, "Ann", max_per_hour=100, locale=locale)
    assert created.ticket is not None
    assert (await store.take(created.ticket.id, MANAGER, "Max")).ok
    claim = await store.begin_delivery(created.ticket.id, MANAGER)
    assert claim.ok
    assert claim.ticket is not None
    assert claim.ticket.delivery_started_at is not None
    return claim.ticket, claim.ticket.delivery_started_at


async def test_the_sent_message_is_journaled_then_finishing_settles_it(store: TicketStore,
                                                                       clock: ManualClock) -> None:
    ticket, claimed_at = await claimed(store)
    clock.advance(seconds=3)
    sent_at = clock.current
    journal = await store.record_delivery(ticket.id, MANAGER, claimed_at=claimed_at, chat_id=CHAT,
                                          message_id=42, file_id="BQAC-report")
    assert journal is not None
    [row] = await store.deliveries(ticket.id)
    assert (row.id, row.message_id, row.chat_id, row.file_id, row.sent_at, row.settled_at) == (
        journal, 42, CHAT, "BQAC-report", sent_at, None)
    clock.advance(seconds=1)
    done = await store.finish(ticket.id, MANAGER, "BQAC-report")
    assert done.ok
    [row] = await store.deliveries(ticket.id)
    assert row.settled_at == clock.current
    assert await store.reconcile() == []  # nothing left unsettled


async def test_only_the_claim_holder_may_journal_a_delivery(store: TicketStore, clock: ManualClock) -> None:
    ticket, claimed_at = await claimed(store)
    for manager, moment in [(OTHER_MANAGER, claimed_at), (MANAGER, claimed_at - timedelta(seconds=1))]:
        assert await store.record_delivery(ticket.id, manager, claimed_at=moment, chat_id=CHAT, message_id=1,
                                           file_id="f") is None
    assert await store.deliveries(ticket.id) == []


async def test_after_a_crash_between_sending_and_done_no_second_copy_is_claimed(
        store: TicketStore, clock: ManualClock) -> None:
    ticket, claimed_at = await claimed(store)
    clock.advance(seconds=2)
    sent_at = clock.current
    assert await store.record_delivery(ticket.id, MANAGER, claimed_at=claimed_at, chat_id=CHAT,
                                       message_id=7, file_id="first") is not None
    # the process dies here: TAKEN, claimed, journaled. Long after, the claim is stale...
    clock.advance(minutes=30)
    again = await store.begin_delivery(ticket.id, MANAGER)
    assert again.code is TransitionCode.DELIVERED  # ...but the journal refuses a new claim
    assert not await store.abort_delivery(ticket.id, MANAGER, claimed_at=claimed_at)  # sent: not released
    current = await store.get(ticket.id)
    assert current is not None
    assert (current.status, current.delivery_started_at) == (TicketStatus.TAKEN, claimed_at)

    [finished] = await store.reconcile()
    assert (finished.id, finished.status, finished.report_file_id, finished.done_at,
            finished.delivery_started_at) == (ticket.id, TicketStatus.DONE, "first", sent_at, None)
    assert await store.get(ticket.id) == finished
    assert await store.reconcile() == []
    assert (await store.begin_delivery(ticket.id, MANAGER)).code is TransitionCode.WRONG_STATUS


async def test_reconciliation_by_several_processes_finishes_each_ticket_once(
        store: TicketStore, database_url: str, clock: ManualClock) -> None:
    ids = []
    for n, vin in enumerate(VINS):
        ticket, claimed_at = await claimed(store, vin, customer=CUSTOMER + n)
        await store.record_delivery(ticket.id, MANAGER, claimed_at=claimed_at, chat_id=CHAT, message_id=n,
                                    file_id=f"file-{n}")
        ids.append(ticket.id)
    others = [TicketStore(create_database_engine(database_url), now=clock) for _ in range(3)]
    try:
        results = await asyncio.gather(store.reconcile(), *(o.reconcile() for o in others))
    finally:
        for other in others:
            await other.close()
    assert sorted(t.id for found in results for t in found) == ids
    for n, ticket_id in enumerate(ids):
        done = await store.get(ticket_id)
        assert done is not None
        assert (done.status, done.report_file_id) == (TicketStatus.DONE, f"file-{n}")


async def test_reconciliation_of_one_ticket_leaves_the_others(store: TicketStore) -> None:
    first, first_claim = await claimed(store, VINS[0])
    second, second_claim = await claimed(store, VINS[1])
    for ticket, moment in [(first, first_claim), (second, second_claim)]:
        await store.record_delivery(ticket.id, MANAGER, claimed_at=moment, chat_id=CHAT, message_id=1,
                                    file_id="f")
    assert [t.id for t in await store.reconcile(first.id)] == [first.id]
    still = await store.get(second.id)
    assert still is not None
    assert still.status is TicketStatus.TAKEN


async def test_only_the_holder_of_a_claim_may_release_it(store: TicketStore, clock: ManualClock) -> None:
    ticket, claimed_at = await claimed(store)
    assert not await store.abort_delivery(ticket.id, OTHER_MANAGER, claimed_at=claimed_at)
    clock.advance(minutes=6)  # the first sender is presumed dead; the assignee claims again
    newer = await store.begin_delivery(ticket.id, MANAGER)
    assert newer.ok
    assert newer.ticket is not None
    # the first sender wakes up and fails: its release must not free the newer, live claim
    assert not await store.abort_delivery(ticket.id, MANAGER, claimed_at=claimed_at)
    current = await store.get(ticket.id)
    assert current is not None
    assert current.delivery_started_at == clock.current
    assert newer.ticket.delivery_started_at is not None
    assert await store.abort_delivery(ticket.id, MANAGER, claimed_at=newer.ticket.delivery_started_at)


async def test_the_customers_language_is_kept_on_the_ticket(store: TicketStore) -> None:
    uz, _ = await claimed(store, VINS[0], locale="uz")
    unknown = await store.create(VINS[1], CUSTOMER, CHAT, "Ann", max_per_hour=100)
    assert unknown.ticket is not None
    assert (uz.customer_locale, unknown.ticket.customer_locale) == ("uz", None)
    mine = await store.customer_tickets(CUSTOMER)
    assert sorted((t.id, t.customer_locale) for t in mine) == [(uz.id, "uz"), (unknown.ticket.id, None)]


async def test_0003_upgrades_a_database_with_tickets_in_flight_and_downgrades(
        empty_database_url: str, clock: ManualClock) -> None:
    await upgrade_database(empty_database_url, "0002")
    engine = create_database_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO tickets (vin, customer_user_id, customer_chat_id, customer_name, status, "
                "assignee_id, created_at, taken_at, delivery_started_at) VALUES (:vin, 1, 2, 'Ann', 'TAKEN', "
                ":manager, '2026-03-01 08:00:00', '2026-03-01 08:30:00', '2026-03-01 08:40:00')"),
                {"vin": VINS[0], "manager": MANAGER})
    finally:
        await engine.dispose()
    await upgrade_database(empty_database_url)
    store = TicketStore(create_database_engine(empty_database_url), now=clock)
    try:
        [ticket] = await store.open_tickets()
        assert (ticket.status, ticket.customer_locale) == (TicketStatus.TAKEN, None)
        assert await store.reconcile() == []
        assert await store.deliveries(ticket.id) == []
    finally:
        await store.close()
    engine = create_database_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_0002)
            count = (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
            tables = await connection.run_sync(lambda sync: sync.dialect.get_table_names(sync))
    finally:
        await engine.dispose()
    assert count == 1
    assert "ticket_deliveries" not in tables
    assert "tickets_outbox" not in tables


def _downgrade_to_0002(connection: object) -> None:
    from alembic import command

    from actions.tickets.store.migrate import alembic_config

    command.downgrade(alembic_config(connection), "0002")  # type: ignore[arg-type]
