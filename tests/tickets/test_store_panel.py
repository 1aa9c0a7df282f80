"""What the admin panel asks of the store, on SQLite and PostgreSQL: accounts locked after repeated
failures, sessions, a filtered page of tickets, the administrators' changes with their history, and the
statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from actions.tickets.store import TicketStatus, TicketStore, TransitionCode
from actions.tickets.store.panel import TicketFilter

from .conftest import ManualClock

VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539", "WDBEA30D3HA391172"]
ANN, BOB = 501, 502


async def test_an_account_locks_after_repeated_failures_and_a_login_resets_the_count(
        store: TicketStore, clock: ManualClock) -> None:
    assert await store.add_account("root", "hash-1")
    assert not await store.add_account("root", "hash-2")  # the name is taken
    account = await store.account("root")
    assert account is not None
    assert account.locked_until is None
    for _ in range(4):
        assert not await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
    assert await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
    locked = await store.account("root")
    assert locked is not None
    assert locked.locked_until == clock.current + timedelta(minutes=15)
    await store.open_session(account.id, "s" * 64, "csrf-token", timedelta(hours=8))
    assert await store.session_of("s" * 64) == ("root", "csrf-token")
    unlocked = await store.account("root")
    assert unlocked is not None
    assert unlocked.locked_until is None
    clock.advance(hours=9)
    assert await store.session_of("s" * 64) is None  # expired
    await store.open_session(account.id, "t" * 64, "other", timedelta(hours=8))
    await store.close_session("t" * 64)
    assert await store.session_of("t" * 64) is None


async def test_the_list_filters_and_pages(store: TicketStore, clock: ManualClock) -> None:
    ids = []
    for number, vin in enumerate(VINS):
        created = await store.create(vin, 1000 + number, 1000 + number, f"C{number}", max_per_hour=9)
        assert created.ticket is not None
        ids.append(created.ticket.id)
        clock.advance(days=1)
    await store.take(ids[0], ANN, "Ann")
    await store.take(ids[1], BOB, "Bob")
    await store.raise_by_admin(ids[1], by="root")
    page, total = await store.search(TicketFilter(), page=1, per_page=3)
    assert total == 4
    assert [t.id for t in page] == [ids[1], ids[3], ids[2]]  # open: most urgent, then newest
    assert [t.id for t in (await store.search(TicketFilter(), page=2, per_page=3))[0]] == [ids[0]]
    assert (await store.search(TicketFilter(status=TicketStatus.TAKEN, assignee_id=ANN),
                               page=1, per_page=10))[1] == 1
    assert [t.id for t in (await store.search(TicketFilter(vin="bea30"), page=1, per_page=10))[0]] == [ids[3]]
    assert (await store.search(TicketFilter(min_priority=1), page=1, per_page=10))[1] == 1
    first_day = date(2026, 3, 2)
    assert [t.id for t in (await store.search(
        TicketFilter(created_from=first_day, created_to=first_day + timedelta(days=1)),
        page=1, per_page=10))[0]] == [ids[1], ids[0]]
    assert await store.managers() == [(ANN, "Ann"), (BOB, "Bob")]


async def test_admin_changes_are_conditional_and_written_to_the_history(
        store: TicketStore, clock: ManualClock) -> None:
    created = await store.create(VINS[0], 1001, 1001, "Alice", max_per_hour=9)
    assert created.ticket is not None
    ticket_id = created.ticket.id
    given = await store.reassign(ticket_id, ANN, "Ann", by="root")  # NEW: a take on Ann's behalf
    assert given.code is TransitionCode.OK
    assert given.ticket is not None
    assert (given.ticket.status, given.ticket.assignee_name) == (TicketStatus.TAKEN, "Ann")
    moved = await store.reassign(ticket_id, BOB, "Bob", by="root")
    assert moved.ticket is not None
    assert moved.ticket.assignee_id == BOB
    assert (await store.reassign(ticket_id, BOB, "Bob", by="root")).code is TransitionCode.WRONG_STATUS
    assert (await store.reopen(ticket_id, "typo", by="root")).code is TransitionCode.WRONG_STATUS
    claim = await store.begin_delivery(ticket_id, BOB)
    assert claim.ticket is not None
    assert claim.ticket.delivery_started_at is not None
    assert (await store.cancel_by_admin(ticket_id, "no", by="root")).code is TransitionCode.WRONG_STATUS
    journal = await store.record_delivery(ticket_id, BOB, claimed_at=claim.ticket.delivery_started_at,
                                          chat_id=1001, message_id=77, file_id="F1")
    assert journal is not None
    assert (await store.finish(ticket_id, BOB, "F1")).ok
    clock.advance(minutes=5)
    reopened = await store.reopen(ticket_id, "wrong car", by="root")
    assert reopened.ticket is not None
    assert (reopened.ticket.status, reopened.ticket.assignee_id, reopened.ticket.done_at) == \
        (TicketStatus.TAKEN, BOB, None)
    assert (await store.begin_delivery(ticket_id, BOB)).ok  # the corrected report can be sent
    other = await store.create(VINS[1], 1002, 1002, "Carl", max_per_hour=9)
    assert other.ticket is not None
    canceled = await store.cancel_by_admin(other.ticket.id, "duplicate of a phone request", by="root")
    assert canceled.ticket is not None
    assert canceled.ticket.status is TicketStatus.CANCELED
    history = await store.history(ticket_id)
    assert [(h.event, h.actor) for h in history] == [
        ("created", "Alice"), ("taken", "root"), ("reassigned", "root"), ("done", "Bob"),
        ("reopened", "root")]
    assert history[2].note == "Ann → Bob"
    assert history[4].note == "wrong car"
    assert [(h.event, h.note) for h in await store.history(other.ticket.id)][-1] == \
        ("canceled", "duplicate of a phone request")


async def test_statistics_give_medians_per_manager_and_sla_breaches_per_day(
        store: TicketStore, clock: ManualClock) -> None:
    since = clock.current
    for number, (take_after, work) in enumerate([(10, 30), (20, 90), (5, 50)]):
        created = await store.create(VINS[number], 1000 + number, 1000 + number, "C", max_per_hour=9)
        assert created.ticket is not None
        clock.advance(minutes=take_after)
        await store.take(created.ticket.id, ANN, "Ann")
        clock.advance(minutes=work)
        claim = await store.begin_delivery(created.ticket.id, ANN)
        assert claim.ticket is not None
        assert claim.ticket.delivery_started_at is not None
        await store.record_delivery(created.ticket.id, ANN, claimed_at=claim.ticket.delivery_started_at,
                                    chat_id=1, message_id=number + 1, file_id="F")
        await store.finish(created.ticket.id, ANN, "F")
    figures, breaches = await store.panel_stats(since, new_minutes=15, taken_minutes=60)
    assert figures == [{"id": ANN, "name": "Ann", "taken": 3, "done": 3, "median_take": 10,
                        "median_done": 50}]
    assert breaches == [(since.date(), 1)]  # the one taken after 20 minutes (and done after 90)


async def test_breaches_count_on_the_day_the_ticket_opened_in_the_desks_time_zone(
        store: TicketStore, clock: ManualClock) -> None:
    tashkent = ZoneInfo("Asia/Tashkent")  # UTC+5
    clock.current = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 02:00 on 3 March in Tashkent
    since = datetime(2026, 3, 2, tzinfo=tashkent)
    await store.create(VINS[0], 1001, 1001, "C", max_per_hour=9)
    clock.advance(minutes=30)  # never taken: past SLA_NEW_MINUTES
    _, breaches = await store.panel_stats(since, new_minutes=15, taken_minutes=60, tz=tashkent)
    assert breaches == [(date(2026, 3, 2), 0), (date(2026, 3, 3), 1)]


async def test_failures_further_apart_than_the_lock_out_do_not_add_up(
        store: TicketStore, clock: ManualClock) -> None:
    assert await store.add_account("root", "hash")
    account = await store.account("root")
    assert account is not None
    for _ in range(4):
        assert not await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
    clock.advance(minutes=16)  # a typo today, four last week: no lock
    assert not await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
    for _ in range(3):
        clock.advance(minutes=14)  # each within the window of the previous: the row goes on
        assert not await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
    assert await store.login_failed(account.id, lock_after=5, lock_for=timedelta(minutes=15))
