"""The ticket life cycle on SQLite and PostgreSQL: create, take, cancel, finish, and their races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from actions.tickets.store import (
    CreateOutcome,
    TicketStatus,
    TicketStore,
    TicketView,
    TransitionCode,
    create_database_engine,
)

from .conftest import ManualClock

VIN = "1HGBH41JXMN109186"
OTHER_VIN = "WBAFR7C50BC123456"
THIRD_VIN = "JT2AE09W4P0038539"
CUSTOMER, CHAT = 1001, 2001
MANAGER, OTHER_MANAGER = 501, 502


async def new_ticket(store: TicketStore, vin: str = VIN, customer: int = CUSTOMER) -> TicketView:
    result = await store.create(vin, customer, CHAT, "Ann", max_per_hour=100)
    assert result.outcome is CreateOutcome.CREATED
    assert result.ticket is not None
    return result.ticket


async def test_create_opens_a_new_ticket(store: TicketStore, clock: ManualClock) -> None:
    result = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)
    assert result.ok
    assert result.ticket is not None
    ticket = result.ticket
    assert (ticket.vin, ticket.customer_user_id, ticket.customer_chat_id, ticket.customer_name) == (
        VIN, CUSTOMER, CHAT, "Ann")
    assert (ticket.status, ticket.priority, ticket.assignee_id, ticket.created_at) == (
        TicketStatus.NEW, 0, None, clock.current)
    assert await store.get(ticket.id) == ticket


async def test_a_second_open_ticket_for_the_same_vin_is_refused_with_the_first(store: TicketStore) -> None:
    first = await new_ticket(store)
    again = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)
    assert (again.outcome, again.ticket) == (CreateOutcome.DUPLICATE, first)
    assert (await store.take(first.id, MANAGER, "Max")).ok
    taken = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)
    assert taken.outcome is CreateOutcome.DUPLICATE
    assert taken.ticket is not None
    assert taken.ticket.status is TicketStatus.TAKEN


async def test_other_customers_and_other_vins_are_independent(store: TicketStore) -> None:
    await new_ticket(store)
    assert (await store.create(VIN, CUSTOMER + 1, CHAT + 1, "Bob", max_per_hour=5)).ok
    assert (await store.create(OTHER_VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)).ok


async def test_after_cancel_done_or_delete_the_same_vin_can_be_requested_again(store: TicketStore) -> None:
    first = await new_ticket(store)
    assert (await store.cancel(first.id, CUSTOMER)).ok
    second = await new_ticket(store)
    await store.take(second.id, MANAGER, "Max")
    assert (await store.finish(second.id, MANAGER, "file-1")).ok
    third = await new_ticket(store)
    assert await store.soft_delete(third.id)
    fourth = await new_ticket(store)
    assert len({first.id, second.id, third.id, fourth.id}) == 4


async def test_the_hourly_limit_counts_the_last_hour(store: TicketStore, clock: ManualClock) -> None:
    for vin in (VIN, OTHER_VIN):
        assert (await store.create(vin, CUSTOMER, CHAT, "Ann", max_per_hour=2)).ok
        clock.advance(minutes=20)
    refused = await store.create(THIRD_VIN, CUSTOMER, CHAT, "Ann", max_per_hour=2)
    assert (refused.outcome, refused.ticket) == (CreateOutcome.RATE_LIMITED, None)
    assert refused.retry_after == timedelta(minutes=20)  # the first one leaves the window at +60 min
    assert (await store.create(THIRD_VIN, CUSTOMER + 1, CHAT, "Bob", max_per_hour=2)).ok  # per customer
    clock.advance(minutes=20)
    assert (await store.create(THIRD_VIN, CUSTOMER, CHAT, "Ann", max_per_hour=2)).ok


async def test_a_duplicate_is_reported_even_when_over_the_limit(store: TicketStore) -> None:
    first = await new_ticket(store)
    again = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=1)
    assert (again.outcome, again.ticket) == (CreateOutcome.DUPLICATE, first)


async def test_create_refuses_unnormalised_vins_and_a_zero_limit(store: TicketStore) -> None:
    with pytest.raises(ValueError, match="normalised"):
        await store.create("1hgbh41jxmn109186", CUSTOMER, CHAT, "Ann", max_per_hour=5)
    with pytest.raises(ValueError, match="max_per_hour"):
        await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=0)


@pytest.mark.parametrize("rounds", [5])
async def test_simultaneous_creates_make_one_ticket(store: TicketStore, rounds: int) -> None:
    for n in range(rounds):
        results = await asyncio.gather(*(store.create(VIN, CUSTOMER + n, CHAT, "Ann", max_per_hour=10)
                                         for _ in range(4)))
        outcomes = sorted(r.outcome for r in results)
        assert outcomes == [CreateOutcome.CREATED] + [CreateOutcome.DUPLICATE] * 3
        assert len({r.ticket.id for r in results if r.ticket}) == 1


async def test_the_unique_index_backs_up_the_duplicate_check(database_url: str, clock: ManualClock) -> None:
    """If the check is bypassed (a race it did not see), the index refuses and the store reports the
    ticket that won."""

    class BlindStore(TicketStore):
        calls = 0

        async def _find_open(self, session: AsyncSession, customer_user_id: int,
                             vin: str) -> TicketView | None:
            self.calls += 1
            return None if self.calls == 2 else await super()._find_open(session, customer_user_id, vin)

    store = BlindStore(create_database_engine(database_url), now=clock)
    try:
        first = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)
        second = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=5)
        assert (second.outcome, second.ticket) == (CreateOutcome.DUPLICATE, first.ticket)
        assert len(await store.customer_tickets(CUSTOMER)) == 1
    finally:
        await store.close()


async def test_take_assigns_the_ticket(store: TicketStore, clock: ManualClock) -> None:
    ticket = await new_ticket(store)
    clock.advance(minutes=3)
    result = await store.take(ticket.id, MANAGER, "Max")
    assert result.code is TransitionCode.OK
    assert result.ticket is not None
    assert (result.ticket.status, result.ticket.assignee_id, result.ticket.assignee_name,
            result.ticket.taken_at) == (TicketStatus.TAKEN, MANAGER, "Max", clock.current)


async def test_the_loser_of_a_take_learns_who_holds_the_ticket(store: TicketStore) -> None:
    ticket = await new_ticket(store)
    await store.take(ticket.id, MANAGER, "Max")
    lost = await store.take(ticket.id, OTHER_MANAGER, "Eve")
    assert lost.code is TransitionCode.TAKEN_BY_OTHER
    assert lost.ticket is not None
    assert (lost.ticket.assignee_id, lost.ticket.assignee_name) == (MANAGER, "Max")
    again = await store.take(ticket.id, MANAGER, "Max")
    assert again.code is TransitionCode.ALREADY_YOURS


async def test_simultaneous_takes_have_exactly_one_winner(store: TicketStore) -> None:
    for n in range(6):
        ticket = await new_ticket(store, customer=CUSTOMER + n)
        managers = [MANAGER + i for i in range(3)]
        results = await asyncio.gather(*(store.take(ticket.id, m, f"m{m}") for m in managers))
        winners = [m for m, r in zip(managers, results, strict=True) if r.ok]
        assert len(winners) == 1
        assert all(r.code is TransitionCode.TAKEN_BY_OTHER for r in results if not r.ok)
        assert all(r.ticket is not None and r.ticket.assignee_id == winners[0] for r in results)


async def test_take_of_a_closed_or_unknown_ticket_returns_a_code(store: TicketStore) -> None:
    canceled = await new_ticket(store)
    await store.cancel(canceled.id, CUSTOMER)
    done = await new_ticket(store, vin=OTHER_VIN)
    await store.take(done.id, MANAGER, "Max")
    await store.finish(done.id, MANAGER, "file")
    deleted = await new_ticket(store, vin=THIRD_VIN)
    await store.soft_delete(deleted.id)
    expected = [(canceled.id, TransitionCode.WRONG_STATUS), (done.id, TransitionCode.WRONG_STATUS),
                (deleted.id, TransitionCode.NOT_FOUND), (999_999, TransitionCode.NOT_FOUND)]
    for ticket_id, code in expected:
        result = await store.take(ticket_id, OTHER_MANAGER, "Eve")
        assert result.code is code
    unchanged = await store.get(done.id)
    assert unchanged is not None
    assert unchanged.assignee_id == MANAGER


async def test_only_the_owner_cancels_and_only_while_new(store: TicketStore, clock: ManualClock) -> None:
    ticket = await new_ticket(store)
    stranger = await store.cancel(ticket.id, CUSTOMER + 1)
    assert (stranger.code, stranger.ticket) == (TransitionCode.NOT_FOUND, None)  # no peeking
    clock.advance(minutes=1)
    result = await store.cancel(ticket.id, CUSTOMER)
    assert result.ok
    assert result.ticket is not None
    assert (result.ticket.status, result.ticket.canceled_at) == (TicketStatus.CANCELED, clock.current)
    assert (await store.cancel(ticket.id, CUSTOMER)).code is TransitionCode.WRONG_STATUS
    taken = await new_ticket(store)
    await store.take(taken.id, MANAGER, "Max")
    refused = await store.cancel(taken.id, CUSTOMER)
    assert refused.code is TransitionCode.WRONG_STATUS
    assert refused.ticket is not None
    assert refused.ticket.status is TicketStatus.TAKEN
    assert (await store.cancel(424242, CUSTOMER)).code is TransitionCode.NOT_FOUND


async def test_cancel_and_take_race_has_one_winner(store: TicketStore) -> None:
    for n in range(4):
        ticket = await new_ticket(store, customer=CUSTOMER + n)
        took, canceled = await asyncio.gather(store.take(ticket.id, MANAGER, "Max"),
                                              store.cancel(ticket.id, CUSTOMER + n))
        assert took.ok != canceled.ok
        final = await store.get(ticket.id)
        assert final is not None
        assert final.status is (TicketStatus.TAKEN if took.ok else TicketStatus.CANCELED)


async def test_only_the_assignee_finishes_and_only_from_taken(store: TicketStore, clock: ManualClock) -> None:
    ticket = await new_ticket(store)
    early = await store.finish(ticket.id, MANAGER, "file")
    assert early.code is TransitionCode.WRONG_STATUS  # NEW → DONE is not a transition
    await store.take(ticket.id, MANAGER, "Max")
    stranger = await store.finish(ticket.id, OTHER_MANAGER, "file")
    assert stranger.code is TransitionCode.NOT_ASSIGNEE
    assert stranger.ticket is not None
    assert stranger.ticket.status is TicketStatus.TAKEN
    clock.advance(minutes=30)
    done = await store.finish(ticket.id, MANAGER, "BQACAgIAAxkBAAI")
    assert done.ok
    assert done.ticket is not None
    assert (done.ticket.status, done.ticket.report_file_id, done.ticket.done_at) == (
        TicketStatus.DONE, "BQACAgIAAxkBAAI", clock.current)
    twice = await store.finish(ticket.id, MANAGER, "other")
    assert twice.code is TransitionCode.WRONG_STATUS
    assert twice.ticket is not None
    assert twice.ticket.report_file_id == "BQACAgIAAxkBAAI"
    assert (await store.finish(777_777, MANAGER, "file")).code is TransitionCode.NOT_FOUND
