"""Queries of the ticket store on SQLite and PostgreSQL: queue, history, reminders, statistics, cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from actions.tickets.store import TicketStatus, TicketStore, TicketView, create_database_engine

from .conftest import ManualClock

VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539", "KMHD35LH5EU205042",
        "WDBEA30D3HA391172", "4T1SK12E1NU028452"]
CUSTOMER, CHAT, MANAGER, OTHER_MANAGER = 1001, 2001, 501, 502


async def open_ticket(store: TicketStore, vin: str, customer: int = CUSTOMER) -> TicketView:
    result = await store.create(vin, customer, CHAT, "Ann", max_per_hour=100)
    assert result.ticket is not None
    return result.ticket


async def test_the_queue_is_open_tickets_by_priority_then_age(store: TicketStore, clock: ManualClock) -> None:
    tickets = []
    for vin in VINS[:5]:
        tickets.append(await open_ticket(store, vin))
        clock.advance(minutes=1)
    oldest, second, urgent, taken, closed = tickets
    raised = await store.raise_priority(urgent.id, by=2)
    assert raised is not None
    assert raised.priority == 2
    await store.take(taken.id, MANAGER, "Max")
    await store.cancel(closed.id, CUSTOMER)
    queue = await store.open_tickets()
    assert [t.id for t in queue] == [urgent.id, oldest.id, second.id, taken.id]
    assert [t.id for t in await store.open_tickets(limit=2)] == [urgent.id, oldest.id]
    assert await store.raise_priority(closed.id) is None  # closed tickets keep their priority
    assert await store.raise_priority(123_456) is None


async def test_customer_history_is_newest_first(store: TicketStore, clock: ManualClock) -> None:
    ids = []
    for vin in VINS[:3]:
        ids.append((await open_ticket(store, vin)).id)
        clock.advance(seconds=10)
    await open_ticket(store, VINS[3], customer=CUSTOMER + 1)
    history = await store.customer_tickets(CUSTOMER, limit=10)
    assert [t.id for t in history] == ids[::-1]
    assert [t.id for t in await store.customer_tickets(CUSTOMER, limit=2)] == ids[:0:-1]


async def test_soft_delete_hides_a_ticket_everywhere(store: TicketStore) -> None:
    ticket = await open_ticket(store, VINS[0])
    await store.set_card_message(ticket.id, 77, chat_id=-100)
    assert await store.soft_delete(ticket.id)
    assert await store.get(ticket.id) is None
    assert await store.open_tickets() == []
    assert await store.customer_tickets(CUSTOMER) == []
    assert await store.by_card_message(77) is None
    assert not await store.set_card_message(ticket.id, 78)
    assert not await store.soft_delete(ticket.id)
    assert await store.due_reminders(timedelta(0), timedelta(0), timedelta(0)) == []


async def test_the_manager_card_maps_back_to_its_ticket(store: TicketStore) -> None:
    first = await open_ticket(store, VINS[0])
    second = await open_ticket(store, VINS[1])
    assert await store.set_card_message(first.id, 9001, chat_id=-100123)
    assert await store.set_card_message(second.id, 9002)
    found = await store.by_card_message(9001, chat_id=-100123)
    assert found is not None
    assert (found.id, found.card_message_id, found.card_chat_id) == (
        first.id, 9001, -100123)
    assert await store.by_card_message(9001, chat_id=-100999) is None
    other = await store.by_card_message(9002)
    assert other is not None
    assert other.id == second.id
    assert await store.by_card_message(9003) is None
    assert not await store.set_card_message(987_654, 1)


async def test_reminders_for_stale_new_and_taken_tickets(store: TicketStore, clock: ManualClock) -> None:
    waiting = await open_ticket(store, VINS[0])
    held = await open_ticket(store, VINS[1])
    await store.take(held.id, MANAGER, "Max")
    fresh_clock_start = clock.current
    clock.advance(minutes=10)
    fresh = await open_ticket(store, VINS[2])
    done = await open_ticket(store, VINS[3])
    await store.take(done.id, MANAGER, "Max")
    await store.finish(done.id, MANAGER, "file")
    assert clock.current - fresh_clock_start == timedelta(minutes=10)

    new_after, taken_after, every = timedelta(minutes=10), timedelta(minutes=30), timedelta(minutes=15)
    due = await store.due_reminders(new_after, taken_after, every)
    assert [t.id for t in due] == [waiting.id]  # held for only 10 of 30 minutes; fresh just arrived
    assert await store.mark_reminded([t.id for t in due]) == 1

    clock.advance(minutes=10)  # waiting was reminded 10 min ago: throttled; fresh is now 10 min old
    assert [t.id for t in await store.due_reminders(new_after, taken_after, every)] == [fresh.id]
    clock.advance(minutes=10)  # 20 min since the reminder: waiting again; held for 30 min now
    due = await store.due_reminders(new_after, taken_after, every)
    assert [t.id for t in due] == [waiting.id, held.id, fresh.id]
    assert all(t.status in (TicketStatus.NEW, TicketStatus.TAKEN) for t in due)
    assert await store.mark_reminded([]) == 0


async def test_taking_a_ticket_restarts_its_reminder_throttle(store: TicketStore, clock: ManualClock) -> None:
    ticket = await open_ticket(store, VINS[0])
    clock.advance(minutes=20)
    await store.mark_reminded([ticket.id])
    await store.take(ticket.id, MANAGER, "Max")
    clock.advance(minutes=5)
    due = await store.due_reminders(timedelta(minutes=10), timedelta(minutes=5), timedelta(hours=1))
    assert [t.id for t in due] == [ticket.id]
    assert due[0].last_reminded_at is None


async def test_stats_per_manager_with_median_time_to_done(store: TicketStore, clock: ManualClock) -> None:
    start = clock.current
    durations = {MANAGER: [10, 30, 20], OTHER_MANAGER: [5, 15]}
    vins = iter(VINS)
    for manager, minutes_list in durations.items():
        for minutes in minutes_list:
            ticket = await open_ticket(store, next(vins))
            await store.take(ticket.id, manager, f"name-{manager}")
            clock.advance(minutes=minutes)
            await store.finish(ticket.id, manager, "file")
    still_open = await open_ticket(store, next(vins))
    await store.take(still_open.id, OTHER_MANAGER, "Eve")

    stats = {s.manager_id: s for s in await store.stats(since=None)}
    assert (stats[MANAGER].taken, stats[MANAGER].done, stats[MANAGER].median_seconds_to_done) == (3, 3, 1200)
    assert (stats[OTHER_MANAGER].taken, stats[OTHER_MANAGER].done,
            stats[OTHER_MANAGER].median_seconds_to_done) == (3, 2, 600)
    assert stats[OTHER_MANAGER].manager_name == "Eve"  # the latest name

    # Timeline (minutes): Max takes at 0, 10, 40 and finishes at 10, 40, 60; Eve takes at 60, 65, 80 and
    # finishes at 65, 80. A window counts what was taken and what was finished inside it.
    at_60 = {s.manager_id: s for s in await store.stats(since=start + timedelta(minutes=60))}
    assert (at_60[MANAGER].taken, at_60[MANAGER].done, at_60[MANAGER].median_seconds_to_done) == (0, 1, 1200)
    assert (at_60[OTHER_MANAGER].taken, at_60[OTHER_MANAGER].done) == (3, 2)
    at_61 = {s.manager_id: s for s in await store.stats(since=start + timedelta(minutes=61))}
    assert set(at_61) == {OTHER_MANAGER}
    assert (at_61[OTHER_MANAGER].taken, at_61[OTHER_MANAGER].done,
            at_61[OTHER_MANAGER].median_seconds_to_done) == (2, 2, 600)


async def test_stats_are_empty_without_assigned_tickets(store: TicketStore) -> None:
    await open_ticket(store, VINS[0])
    assert await store.stats(since=None) == []


async def test_timestamps_are_aware_utc_whatever_the_clock_zone(store: TicketStore,
                                                                clock: ManualClock) -> None:
    clock.current = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=3)))  # Moscow time
    ticket = await open_ticket(store, VINS[0])
    stored = await store.get(ticket.id)
    assert stored is not None
    assert stored.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert stored.created_at.utcoffset() == timedelta(0)
    async with store.engine.connect() as connection:
        raw = (await connection.execute(text("SELECT created_at FROM tickets"))).scalar_one()
    if store.engine.dialect.name == "sqlite":
        assert str(raw).startswith("2026-03-02 09:00:00")  # stored as UTC text


async def test_naive_datetimes_are_refused(database_url: str) -> None:
    naive = TicketStore(create_database_engine(database_url), now=lambda: datetime(2026, 1, 1))
    try:
        with pytest.raises(ValueError, match="naive"):
            await naive.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=5)
    finally:
        await naive.close()


async def test_the_status_column_refuses_unknown_values(store: TicketStore) -> None:
    ticket = await open_ticket(store, VINS[0])
    with pytest.raises(IntegrityError, match=r"(?i)check"):
        async with store.engine.begin() as connection:
            await connection.execute(text("UPDATE tickets SET status = 'new' WHERE id = :id"),
                                     {"id": ticket.id})
