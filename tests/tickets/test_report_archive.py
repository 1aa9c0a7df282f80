"""Delivered reports archived in S3-compatible storage (moto's server on 127.0.0.1), through the outbox, on
SQLite and PostgreSQL: stored under the bucket's prefix with the ticket id and the SHA-256, recorded in
the delivery journal, read back verified; an unreachable store is retried and loses nothing."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from actions.tickets.archive import Fetch, ReportArchive
from actions.tickets.relay import OutboxRelay
from actions.tickets.store import OutboxRouting, OutboxStore, TicketStore, create_database_engine

from .conftest import ManualClock
from .s3_server import free_port, moto_server, s3_client

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

BUCKET, PREFIX = "reports", "vin/2026/"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
VIN, CUSTOMER, CHAT, MANAGER = "1HGBH41JXMN109186", 1001, 2001, 501


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
async def s3(s3_endpoint: str) -> AsyncIterator[S3Client]:
    async with s3_client(s3_endpoint) as client:
        buckets = {b["Name"] for b in (await client.list_buckets()).get("Buckets", [])}
        if BUCKET not in buckets:
            await client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
async def archiving(database_url: str, clock: ManualClock) -> AsyncIterator[TicketStore]:
    store = TicketStore(create_database_engine(database_url), now=clock, routing=OutboxRouting(archive=True))
    try:
        yield store
    finally:
        await store.close()


async def delivered(store: TicketStore, file_id: str = "BQAC-file") -> tuple[int, int]:
    """A ticket whose report reached the customer (journaled): its id and the journal row's."""
    created = await store.create(VIN, CUSTOMER, CHAT, "Ann", max_per_hour=10)
    assert created.ticket is not None
    ticket_id = created.ticket.id
    assert (await store.take(ticket_id, MANAGER, "Max")).ok
    claim = await store.begin_delivery(ticket_id, MANAGER)
    assert claim.ticket is not None
    assert claim.ticket.delivery_started_at is not None
    journal = await store.record_delivery(ticket_id, MANAGER, claimed_at=claim.ticket.delivery_started_at,
                                          chat_id=CHAT, message_id=9, file_id=file_id)
    assert journal is not None
    assert (await store.finish(ticket_id, MANAGER, file_id)).ok
    return ticket_id, journal


def telegram(files: dict[str, bytes]) -> Fetch:
    """Telegram's side of the archive: files by their file id."""

    async def fetch(file_id: str) -> bytes:
        return files[file_id]

    return fetch


async def test_a_delivered_report_is_archived_with_its_ticket_id_and_checksum(
        archiving: TicketStore, s3: S3Client, clock: ManualClock) -> None:
    ticket_id, journal = await delivered(archiving)
    archive = ReportArchive(s3, BUCKET, PREFIX, archiving, telegram({"BQAC-file": PDF}))
    relay = OutboxRelay(OutboxStore(archiving.engine, clock), {"s3": archive})
    assert await relay.run_once() == 1
    sha256 = hashlib.sha256(PDF).hexdigest()
    key = f"{PREFIX}{ticket_id}/{sha256}.pdf"
    [row] = await archiving.deliveries(ticket_id)
    assert (row.id, row.archive_key, row.sha256) == (journal, key, sha256)
    head = await s3.head_object(Bucket=BUCKET, Key=key)
    assert head["Metadata"] == {"ticket-id": str(ticket_id), "sha256": sha256,
                                "telegram-file-id": "BQAC-file"}
    assert head["ContentType"] == "application/pdf"
    back = await archive.read(key)
    assert (back.data, back.sha256, back.ticket_id) == (PDF, sha256, ticket_id)
    assert await relay.run_once() == 0


async def test_without_an_archive_nothing_is_queued(store: TicketStore, clock: ManualClock) -> None:
    await delivered(store)
    assert (await OutboxStore(store.engine, clock).counts()).pending == 0


async def test_an_unreachable_store_is_retried_until_it_is_back(archiving: TicketStore,
                                                                clock: ManualClock) -> None:
    ticket_id, _ = await delivered(archiving)
    ticket = await archiving.get(ticket_id)
    assert ticket is not None
    assert ticket.status == "DONE"  # the customer's side is done whatever the archive does
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    outbox = OutboxStore(archiving.engine, clock)
    async with s3_client(endpoint) as down:
        relay = OutboxRelay(outbox, {"s3": ReportArchive(down, BUCKET, PREFIX, archiving,
                                                         telegram({"BQAC-file": PDF}))})
        assert await relay.run_once() == 1
    counts = await outbox.counts()
    assert (counts.pending, counts.by_destination, counts.sent) == (1, {"s3": 1}, 0)
    [row] = await archiving.deliveries(ticket_id)
    assert row.archive_key is None
    with moto_server(port) as endpoint:
        async with s3_client(endpoint) as up:
            await up.create_bucket(Bucket=BUCKET)
            relay = OutboxRelay(outbox, {"s3": ReportArchive(up, BUCKET, PREFIX, archiving,
                                                             telegram({"BQAC-file": PDF}))})
            assert await relay.run_once() == 0  # not due yet
            clock.advance(seconds=5)
            assert await relay.run_once() == 1
            [row] = await archiving.deliveries(ticket_id)
            assert row.archive_key is not None
            stored = await up.get_object(Bucket=BUCKET, Key=row.archive_key)
            async with stored["Body"] as body:
                assert await body.read() == PDF
    assert (await outbox.counts()).sent == 1


async def test_the_archive_refuses_a_report_whose_checksum_does_not_match(s3: S3Client,
                                                                        archiving: TicketStore) -> None:
    await s3.put_object(Bucket=BUCKET, Key="forged.pdf", Body=PDF, Metadata={"sha256": "0" * 64})
    archive = ReportArchive(s3, BUCKET, PREFIX, archiving, telegram({}))
    with pytest.raises(Exception, match="sha256"):
        await archive.read("forged.pdf")
