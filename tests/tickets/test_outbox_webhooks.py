"""Webhooks to external systems through the transactional outbox, on SQLite and PostgreSQL, against a real
receiver on 127.0.0.1: events are written in the transaction of their state change, signed, retried with
exponential backoff through failures and timeouts, never lost, and never sent with a different id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from actions.tickets.relay import Backoff, OutboxRelay
from actions.tickets.store import OutboxRouting, OutboxStore, TicketStore, create_database_engine
from actions.tickets.store import base as store_base
from actions.tickets.webhooks import WebhookSender, sign, verify

from .conftest import ManualClock
from .webhook_receiver import ACCEPT, FAIL, GONE, HANG, SLOW_DOWN, Receiver, running_receiver

SECRET = "whsec_0123456789abcdef"
VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539"]
CUSTOMER, CHAT, MANAGER, OTHER = 1001, 2001, 501, 502


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[Receiver]:
    async with running_receiver(SECRET, lambda: clock.current.timestamp()) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def hooked(database_url: str, clock: ManualClock, receiver: Receiver) -> AsyncIterator[TicketStore]:
    store = TicketStore(create_database_engine(database_url), now=clock,
                        routing=OutboxRouting(webhook_urls=(receiver.url,)))
    try:
        yield store
    finally:
        await store.close()


def relay_for(store: TicketStore, http: aiohttp.ClientSession, clock: ManualClock, *,
              timeout: float = 5.0, max_attempts: int = 20) -> OutboxRelay:
    outbox = OutboxStore(store.engine, clock)
    sender = WebhookSender(http, SECRET, clock, timeout=timeout)
    return OutboxRelay(outbox, {"webhook": sender}, max_attempts=max_attempts)


async def life_of_a_ticket(store: TicketStore) -> None:
    """created, taken, done; another created then canceled (four kinds, five events)."""
    first = await store.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=10, locale="uz")
    assert first.ticket is not None
    assert (await store.take(first.ticket.id, MANAGER, "Max")).ok
    assert (await store.finish(first.ticket.id, MANAGER, "file-1")).ok
    second = await store.create(VINS[1], CUSTOMER, CHAT, "Ann", max_per_hour=10)
    assert second.ticket is not None
    assert (await store.cancel(second.ticket.id, CUSTOMER)).ok


# --- the outbox is written with the state change --------------------------------------------------------


async def test_each_state_change_writes_one_event_per_url_with_one_id(database_url: str,
                                                                      clock: ManualClock) -> None:
    urls = ("http://127.0.0.1:9/a", "http://127.0.0.1:9/b")
    store = TicketStore(create_database_engine(database_url), now=clock, routing=OutboxRouting(urls))
    try:
        await life_of_a_ticket(store)
        refused = await store.take(1, OTHER, "Eve")  # a take that loses changes nothing, writes nothing
        assert not refused.ok
        duplicate = await store.create(VINS[2], CUSTOMER, CHAT, "Ann", max_per_hour=10)
        again = await store.create(VINS[2], CUSTOMER, CHAT, "Ann", max_per_hour=10)
        assert (duplicate.outcome, again.outcome) == ("created", "duplicate")  # no event for the second
        items = await OutboxStore(store.engine, clock).lease(100, timedelta(minutes=1))
    finally:
        await store.close()
    events: dict[str, list[str]] = {}
    for item in items:
        events.setdefault(item.event_id, []).append(item.destination)
    assert sorted(map(sorted, events.values())) == [sorted(urls)] * 6
    bodies = {item.event_id: json.loads(item.payload) for item in sorted(items, key=lambda i: i.id)}
    summary = [(b["type"], b["data"]["ticket"]["id"], b["data"]["ticket"]["status"]) for b in bodies.values()]
    assert summary == [
        ("ticket.created", 1, "NEW"), ("ticket.taken", 1, "TAKEN"), ("ticket.done", 1, "DONE"),
        ("ticket.created", 2, "NEW"), ("ticket.canceled", 2, "CANCELED"), ("ticket.created", 3, "NEW")]
    done = next(b for b in bodies.values() if b["type"] == "ticket.done")
    assert done["id"] in bodies
    ticket = done["data"]["ticket"]
    assert (ticket["vin"], ticket["assignee"], ticket["customer"]["locale"], ticket["report_file_id"]) == (
        VINS[0], {"user_id": MANAGER, "name": "Max"}, "uz", "file-1")


async def test_when_the_event_cannot_be_written_the_state_change_is_rolled_back(
        database_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TicketStore(create_database_engine(database_url), now=clock,
                        routing=OutboxRouting(("http://127.0.0.1:9/",)))
    try:
        created = await store.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=10)
        assert created.ticket is not None

        def broken(*_: object) -> None:
            raise RuntimeError("outbox unavailable")

        monkeypatch.setattr(store_base, "enqueue", broken)
        with pytest.raises(RuntimeError):
            await store.take(created.ticket.id, MANAGER, "Max")
        monkeypatch.undo()
        ticket = await store.get(created.ticket.id)
        assert ticket is not None
        assert (ticket.status, ticket.assignee_id) == ("NEW", None)
        counts = await OutboxStore(store.engine, clock).counts()
        assert counts.pending == 1  # the created event only
    finally:
        await store.close()


async def test_without_webhook_urls_nothing_is_written(store: TicketStore, clock: ManualClock) -> None:
    await life_of_a_ticket(store)
    assert (await OutboxStore(store.engine, clock).counts()).pending == 0


# --- the relay against a real receiver --------------------------------------------------------------------


async def test_events_reach_the_receiver_signed_each_once(hooked: TicketStore, receiver: Receiver,
                                                          http: aiohttp.ClientSession,
                                                          clock: ManualClock) -> None:
    await life_of_a_ticket(hooked)
    relay = relay_for(hooked, http, clock)
    assert await relay.run_once() == 5
    assert await relay.run_once() == 0
    assert sorted(r.event_type for r in receiver.seen) == sorted(  # sent concurrently: in any order
        ["ticket.created", "ticket.taken", "ticket.done", "ticket.created", "ticket.canceled"])
    assert all(r.signed and r.answer == ACCEPT for r in receiver.seen)
    assert all(r.event_id == r.idempotency_key == r.json["id"] for r in receiver.seen)
    assert len({r.event_id for r in receiver.seen}) == 5
    counts = await relay.outbox.counts()
    assert (counts.pending, counts.sent, counts.failed) == (0, 5, 0)


async def test_a_receiver_that_fails_then_times_out_gets_everything_once_it_recovers(
        hooked: TicketStore, receiver: Receiver, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    created = await hooked.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=10)
    assert created.ticket is not None
    relay = relay_for(hooked, http, clock, timeout=0.5)
    receiver.script = [FAIL, HANG, FAIL]
    pauses = []
    for _ in range(3):
        assert await relay.run_once() == 1
        assert await relay.run_once() == 0  # not due yet: the backoff
        [row] = await _rows(hooked)
        pauses.append(row["next_attempt_at"] - clock.current)
        clock.current = row["next_attempt_at"]
    assert pauses == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert await relay.run_once() == 1
    assert [r.answer for r in receiver.seen] == [FAIL, HANG, FAIL, ACCEPT]
    assert len({r.event_id for r in receiver.seen}) == 1  # the same id every time...
    assert len({r.body for r in receiver.seen}) == 1  # ...and the same body
    assert len(receiver.accepted) == 1
    [row] = await _rows(hooked)
    assert (row["attempts"], row["sent_at"], row["last_error"]) == (4, clock.current, None)


async def test_a_relay_that_dies_holding_rows_is_replaced_when_its_lease_runs_out(
        hooked: TicketStore, receiver: Receiver, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    await life_of_a_ticket(hooked)
    dead = relay_for(hooked, http, clock)
    held = await dead.outbox.lease(3, dead.lease)  # ...and the process is killed
    successor = relay_for(hooked, http, clock)
    assert await successor.run_once() == 2  # the rows it may take
    clock.advance(minutes=2)
    assert await successor.run_once() == 3  # the dead relay's rows, after its lease
    assert not await dead.outbox.sent(held[0])  # a late report of the dead relay changes nothing
    assert sorted(r.event_id for r in receiver.accepted) == sorted({r.event_id for r in receiver.seen})
    assert len(receiver.accepted) == 5


async def test_two_relays_at_once_send_each_event_once(hooked: TicketStore, receiver: Receiver,
                                                       http: aiohttp.ClientSession, clock: ManualClock,
                                                       database_url: str) -> None:
    for n in range(6):
        assert (await hooked.create(VINS[n % 3], CUSTOMER + n, CHAT, "Ann", max_per_hour=10)).ok
    other = TicketStore(create_database_engine(database_url), now=clock)
    try:
        first, second = relay_for(hooked, http, clock), relay_for(other, http, clock)
        counts = await asyncio.gather(first.run_once(), second.run_once())
    finally:
        await other.close()
    assert sum(counts) == 6
    assert len(receiver.seen) == 6
    assert len({r.event_id for r in receiver.seen}) == 6


async def test_a_receiver_that_never_accepts_is_given_up_and_kept(
        hooked: TicketStore, receiver: Receiver, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    assert (await hooked.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=10)).ok
    relay = relay_for(hooked, http, clock, max_attempts=3)
    receiver.script = [FAIL] * 3
    for _ in range(3):
        assert await relay.run_once() == 1
        clock.advance(hours=1)
    assert await relay.run_once() == 0
    [row] = await _rows(hooked)
    assert (row["attempts"], row["sent_at"], row["failed_at"] is not None, row["last_error"]) == (
        3, None, True, "HTTP 500")
    assert (await relay.outbox.counts()).failed == 1
    assert await relay.outbox.requeue_failed() == 1  # the operator fixed the receiver: send it again
    assert await relay.run_once() == 1
    assert len(receiver.accepted) == 1
    assert len({r.event_id for r in receiver.seen}) == 1  # the same event id all along
    assert (await relay.outbox.counts()).failed == 0


async def test_gone_gives_up_at_once_and_retry_after_is_honoured(
        hooked: TicketStore, receiver: Receiver, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    assert (await hooked.create(VINS[0], CUSTOMER, CHAT, "Ann", max_per_hour=10)).ok
    assert (await hooked.create(VINS[1], CUSTOMER, CHAT, "Ann", max_per_hour=10)).ok
    relay = relay_for(hooked, http, clock)
    receiver.script = [GONE, SLOW_DOWN]
    await relay.run_once()
    rows = sorted(await _rows(hooked), key=lambda r: r["failed_at"] is None)
    assert (rows[0]["failed_at"], rows[0]["attempts"]) == (clock.current, 1)
    assert rows[1]["next_attempt_at"] - clock.current == timedelta(seconds=120)


# --- signatures -------------------------------------------------------------------------------------------


def test_a_signature_verifies_only_for_its_body_secret_and_time() -> None:
    body = b'{"id": "e1", "type": "ticket.done"}'
    header = sign(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify(SECRET, header, body, now=1_700_000_100)
    assert not verify(SECRET, header, body + b" ", now=1_700_000_100)  # tampered body
    assert not verify("another-secret-000", header, body, now=1_700_000_100)
    assert not verify(SECRET, header, body, now=1_700_000_000 + 301)  # a replay, too late
    assert not verify(SECRET, "v1=" + header.split("v1=")[1], body, now=1_700_000_000)  # no time
    rotated = f"{sign('old-secret-0000000', 1_700_000_000, body)},v1={header.split('v1=')[1]}"
    assert verify(SECRET, rotated, body, now=1_700_000_000)


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff()
    assert [backoff(n).total_seconds() for n in range(1, 12)] == [
        5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]


async def _rows(store: TicketStore) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from actions.tickets.store.models import OutboxMessage

    async with store.engine.connect() as connection:
        result = await connection.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        columns = ("attempts", "next_attempt_at", "sent_at", "failed_at", "last_error")
        found = []
        for row in result.mappings():
            found.append({c: row[c] for c in columns})
        return found
