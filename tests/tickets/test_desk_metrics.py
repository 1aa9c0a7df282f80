"""Monitoring of the desk: tickets by status, SLA breaches, delivery failures and the outbox, exported
through the package's metrics hook into serve's ``/metrics`` registry (with the bot's label)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from actions.tickets.desk_service import Desk as DeskService
from actions.tickets.metrics import DeskMetrics
from actions.tickets.store import OutboxRouting, OutboxStore, TicketStore, create_database_engine
from engine.serve.metrics import Metrics

from .conftest import ManualClock
from .desk_kit import PDF, VIN, VIN_US, Desk, open_desk

VINS = ["1HGBH41JXMN109186", "WBAFR7C50BC123456", "JT2AE09W4P0038539"]


def service(desk: Desk) -> DeskService:
    return desk.play.app.runtime.services.get(DeskService)


async def test_serves_metrics_show_each_desks_tickets_by_status_with_its_bot_label(
        database_url: str, clock: ManualClock) -> None:
    store = TicketStore(create_database_engine(database_url), now=clock,
                        routing=OutboxRouting(("http://127.0.0.1:9/",)))
    try:
        for n, vin in enumerate(VINS):
            assert (await store.create(vin, 1000 + n, 2000, "Ann", max_per_hour=5)).ok
        assert (await store.take(1, 501, "Max")).ok
        assert (await store.cancel(2, 1001)).ok
        serve = Metrics()
        first, second = DeskMetrics(), DeskMetrics()
        serve.package_export("desk").add(first.registry)
        serve.package_export("desk2").add(second.registry)
        await first.refresh(store, OutboxStore(store.engine, clock))
        second.delivery_failed("blocked")
    finally:
        await store.close()
    text = serve.exposition().decode()
    for status, count in [("NEW", 1), ("TAKEN", 1), ("DONE", 0), ("CANCELED", 1)]:
        assert f'tgflow_tickets{{bot="desk",status="{status}"}} {count:.1f}' in text
        assert f'tgflow_tickets{{bot="desk2",status="{status}"}} 0.0' in text
    # created three times, taken, canceled: five events for the one URL
    assert 'tgflow_tickets_outbox_pending{bot="desk",kind="webhook"} 5.0' in text
    assert 'tgflow_tickets_delivery_failures_total{bot="desk2",reason="blocked"} 1.0' in text
    assert text.count("# HELP tgflow_tickets Tickets by status") == 1  # one family for both bots


async def test_the_desk_counts_delivery_failures_and_sla_breaches(tmp_path: Path) -> None:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}") as desk:
        metrics = service(desk).metrics
        await desk.alice.send(VIN)
        await desk.alice.send(VIN_US)
        card = desk.card_of(1).message_id
        await desk.ann.click_data(card, "take:1")
        desk.play.emulator.block(desk.play.bot, desk.alice.account)
        await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
        assert metrics.registry.get_sample_value("tgflow_tickets_delivery_failures_total",
                                                 {"reason": "blocked"}) == 1
        await desk.play.advance(timedelta(minutes=16))  # ticket 2 NEW past SLA_NEW_MINUTES (15)
        sample = metrics.registry.get_sample_value
        assert (sample("tgflow_tickets_sla_breaches", {"status": "NEW"}),
                sample("tgflow_tickets_sla_breaches", {"status": "TAKEN"})) == (1, 0)
        assert (sample("tgflow_tickets", {"status": "NEW"}),
                sample("tgflow_tickets", {"status": "TAKEN"})) == (1, 1)
        await desk.play.advance(timedelta(minutes=50))  # ticket 1 TAKEN for 66 minutes (SLA 60)
        assert sample("tgflow_tickets_sla_breaches", {"status": "TAKEN"}) == 1
