"""What the VIN desk exports for monitoring (prometheus-client), in a registry of its own.

* ``tgflow_tickets`` (gauge, by ``status``): tickets in each state, read from the store;
* ``tgflow_tickets_sla_breaches`` (gauge, by ``status``): open tickets past their SLA right now (NEW not
  taken within SLA_NEW_MINUTES, TAKEN not done within SLA_TAKEN_MINUTES), as the SLA job last counted;
* ``tgflow_tickets_delivery_failures_total`` (counter, by ``reason``: blocked, failed, not_pdf): reports
  that did not reach the customer, in this process;
* ``tgflow_tickets_outbox_pending`` (gauge, by ``kind``: webhook, s3), ``tgflow_tickets_outbox_failed``
  (given up) and ``tgflow_tickets_outbox_attempts_total`` (counter, by ``kind`` and ``result``).

The gauges read from the database are refreshed by :meth:`DeskMetrics.refresh` (every 15 s under
``serve``, and by the SLA job), never at scrape time, so ``/metrics`` never waits for the database. ``serve``
collects the registry through the package's metrics hook (:class:`engine.health.MetricsExport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CollectorRegistry, Counter, Gauge

from actions.tickets.store import OutboxStore, TicketStatus, TicketStore

__all__ = ["DeskMetrics"]

log = logging.getLogger("actions.tickets")
REFRESH_EVERY_S = 15.0


class DeskMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.tickets = Gauge("tgflow_tickets", "Tickets by status", ["status"], registry=r)
        self.sla_breaches = Gauge("tgflow_tickets_sla_breaches",
                                  "Open tickets past their SLA, by status (as the SLA job last counted)",
                                  ["status"], registry=r)
        self.delivery_failures = Counter("tgflow_tickets_delivery_failures",
                                         "Reports that did not reach the customer, by reason",
                                         ["reason"], registry=r)
        self.outbox_pending = Gauge("tgflow_tickets_outbox_pending",
                                    "Outbox rows waiting to be sent, by kind (webhook, s3)", ["kind"],
                                    registry=r)
        self.outbox_failed = Gauge("tgflow_tickets_outbox_failed",
                                   "Outbox rows given up after every attempt", registry=r)
        self.outbox_attempts = Counter("tgflow_tickets_outbox_attempts",
                                       "Outbox sending attempts, by kind and result (sent, retry, failed)",
                                       ["kind", "result"], registry=r)
        for status in TicketStatus:
            self.tickets.labels(status.value)
        for status in (TicketStatus.NEW, TicketStatus.TAKEN):
            self.sla_breaches.labels(status.value)
        for kind in ("webhook", "s3"):
            self.outbox_pending.labels(kind)

    def delivery_failed(self, reason: str) -> None:
        self.delivery_failures.labels(reason).inc()

    def attempt(self, kind: str, result: str) -> None:
        self.outbox_attempts.labels(kind, result).inc()

    def breaches(self, new: int, taken: int) -> None:
        self.sla_breaches.labels(TicketStatus.NEW.value).set(new)
        self.sla_breaches.labels(TicketStatus.TAKEN.value).set(taken)

    async def refresh(self, store: TicketStore, outbox: OutboxStore | None = None) -> None:
        """Read the gauges' values from the database."""
        for status, count in (await store.count_by_status()).items():
            self.tickets.labels(status.value).set(count)
        if outbox is not None:
            counts = await outbox.counts()
            for kind in ("webhook", "s3"):
                self.outbox_pending.labels(kind).set(counts.by_destination.get(kind, 0))
            self.outbox_failed.set(counts.failed)

    def start_refreshing(self, store: TicketStore, outbox: OutboxStore | None,
                         every: float = REFRESH_EVERY_S) -> asyncio.Task[None]:
        """Refresh the gauges every ``every`` seconds in the background (under ``serve``); cancel the
        task to stop."""
        async def loop() -> None:
            while True:
                try:
                    await self.refresh(store, outbox)
                except Exception as exc:  # the database is down: the gauges keep their last values
                    log.warning("desk metrics not refreshed: %s", exc)
                await asyncio.sleep(every)

        return asyncio.create_task(loop(), name="tickets-metrics")


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
