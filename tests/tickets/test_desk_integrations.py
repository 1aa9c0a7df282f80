"""The desk's integrations end to end (scenarios/vin_report.yaml on the Bot API emulator): webhooks reach a
real receiver on 127.0.0.1 signed, delivered reports land in moto's S3 server, and an unreachable archive
never stands between the customer and the report."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from actions.tickets.desk_service import Desk as DeskService
from actions.tickets.integrations import IntegrationSettings
from engine.errors import ConfigError

from .desk_kit import PDF, VIN, Desk, open_desk
from .s3_server import CREDENTIALS, free_port, moto_server, s3_client
from .webhook_receiver import Receiver, running_receiver

SECRET = "whsec_desk_0123456789"
BUCKET = "vin-archive"


def service(desk: Desk) -> DeskService:
    return desk.play.app.runtime.services.get(DeskService)


async def drain(desk: Desk, *, pending: int = 0) -> None:
    """Let the relays send what is due until ``pending`` rows are left (the background relay may hold some
    rows for a moment: they are leased to it, not lost)."""
    desk_service = service(desk)
    assert desk_service.relay is not None
    assert desk_service.outbox is not None
    for _ in range(100):
        await desk_service.relay.run_once()
        if (await desk_service.outbox.counts()).pending == pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox still holds {(await desk_service.outbox.counts()).pending} row(s)")


async def deliver(desk: Desk) -> None:
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    await desk.ann.click_data(card, "take:1")
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    assert desk.ann.texts()[-1] == "Отчёт по заявке №1 доставлен клиенту ✅"
    assert [m.document is not None for m in desk.alice.messages].count(True) == 1


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver(SECRET, time.time) as running:  # signatures carry the wall clock
        yield running


async def test_events_reach_the_crm_and_the_report_reaches_the_archive(tmp_path: Path,
                                                                       receiver: Receiver) -> None:
    with moto_server() as endpoint:
        async with s3_client(endpoint) as s3:
            await s3.create_bucket(Bucket=BUCKET)
            env = {"TICKETS_WEBHOOK_URLS": receiver.url, "TICKETS_WEBHOOK_SECRET": SECRET,
                   "REPORTS_S3_BUCKET": BUCKET, "REPORTS_S3_PREFIX": "desk",
                   "REPORTS_S3_ENDPOINT_URL": endpoint, **CREDENTIALS}
            async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", extra_env=env) as desk:
                await deliver(desk)
                await drain(desk)
                [journal] = await service(desk).store.deliveries(1)
                sha256 = hashlib.sha256(PDF).hexdigest()
                assert (journal.archive_key, journal.sha256) == (f"desk/1/{sha256}.pdf", sha256)
                stored = await s3.get_object(Bucket=BUCKET, Key=f"desk/1/{sha256}.pdf")
                async with stored["Body"] as body:
                    assert await body.read() == PDF
    assert sorted(r.event_type for r in receiver.accepted) == [
        "ticket.created", "ticket.done", "ticket.taken"]
    assert all(r.signed for r in receiver.seen)
    assert len(receiver.seen) == 3  # nothing twice
    done = next(r.json for r in receiver.accepted if r.event_type == "ticket.done")
    assert (done["data"]["ticket"]["vin"], done["data"]["ticket"]["status"],
            done["data"]["ticket"]["customer"]["locale"], done["data"]["ticket"]["channel"]) == \
        (VIN, "DONE", "ru", "bot")


async def test_an_unreachable_archive_does_not_hold_up_the_customer(tmp_path: Path) -> None:
    port = free_port()
    env = {"REPORTS_S3_BUCKET": BUCKET, "REPORTS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", **CREDENTIALS}
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", extra_env=env) as desk:
        await deliver(desk)  # the PDF reached Alice, the ticket is DONE
        ticket = await service(desk).store.get(1)
        assert ticket is not None
        assert ticket.status == "DONE"
        await drain(desk, pending=1)
        outbox = service(desk).outbox
        assert outbox is not None
        counts = await outbox.counts()
        assert (counts.pending, counts.sent) == (1, 0)
        with moto_server(port) as endpoint:
            async with s3_client(endpoint) as s3:
                await s3.create_bucket(Bucket=BUCKET)
                desk.clock.advance(timedelta(minutes=5))  # past the backoff
                await drain(desk)
                [journal] = await service(desk).store.deliveries(1)
                assert journal.archive_key is not None
                head = await s3.head_object(Bucket=BUCKET, Key=journal.archive_key)
                assert head["Metadata"]["ticket-id"] == "1"
        assert (await outbox.counts()).sent == 1


@pytest.mark.parametrize(("environ", "message"), [
    ({"TICKETS_WEBHOOK_URLS": "ftp://crm.example/hook", "TICKETS_WEBHOOK_SECRET": SECRET}, "not an http"),
    ({"TICKETS_WEBHOOK_URLS": "https://crm.example/hook"}, "TICKETS_WEBHOOK_SECRET"),
    ({"TICKETS_WEBHOOK_URLS": "https://crm.example/hook", "TICKETS_WEBHOOK_SECRET": "short"}, "16"),
    ({"TICKETS_WEBHOOK_TIMEOUT": "soon"}, "not a number"),
    ({"TICKETS_OUTBOX_MAX_ATTEMPTS": "0"}, "positive"),
])
def test_wrong_integration_settings_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IntegrationSettings.from_environ(environ)


def test_integration_settings_from_the_environment() -> None:
    settings = IntegrationSettings.from_environ({
        "TICKETS_WEBHOOK_URLS": "https://crm.example/a, http://127.0.0.1:8000/b",
        "TICKETS_WEBHOOK_SECRET": SECRET, "REPORTS_S3_BUCKET": "b", "REPORTS_S3_PREFIX": "reports"})
    assert settings.webhook_urls == ("https://crm.example/a", "http://127.0.0.1:8000/b")
    assert (settings.s3_prefix, settings.routing.archive, settings.webhook_timeout) == (
        "reports/", True, 10.0)
    assert not IntegrationSettings.from_environ({}).routing.active
