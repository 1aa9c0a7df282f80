"""Readiness probes: what a bot needs at run time (its database, an API), checked by ``/readyz``.

``serve`` puts a :class:`Readiness` in each bot's services before the packages' start-up hooks
run; a package registers probes there (other commands have none, so ``find`` returns None)::

    async def setup_package(pkg: PackageContext) -> None:
        ...
        if (readiness := pkg.services.find(Readiness)) is not None:
            readiness.add("database", store.ping)

A probe is an ``async`` callable that raises when the thing it checks is not reachable.

Likewise ``serve`` puts a :class:`MetricsExport` there: a package adds its own prometheus-client
registry (or collector), and ``/metrics`` shows its metrics with a ``bot`` label added::

    if (export := pkg.services.find(MetricsExport)) is not None:
        export.add(my_metrics.registry)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from engine.masking import mask

__all__ = ["OK", "MetricsExport", "Probe", "Readiness"]

Probe = Callable[[], Awaitable[object]]
OK = "ok"


class Readiness:
    """Named probes of one bot."""

    def __init__(self) -> None:
        self.probes: dict[str, Probe] = {}

    def add(self, name: str, probe: Probe) -> None:
        self.probes[name] = probe

    async def run(self, timeout: float = 2.0) -> dict[str, str]:
        """Each probe's result: ``ok``, or ``unreachable: <reason>`` (secrets masked)."""
        async def one(probe: Probe) -> str:
            try:
                await asyncio.wait_for(probe(), timeout)
            except TimeoutError:
                return f"unreachable: no answer within {timeout:g} s"
            except Exception as exc:
                return mask(f"unreachable: {' '.join(str(exc).split()) or type(exc).__name__}")
            return OK

        names = list(self.probes)
        results = await asyncio.gather(*(one(self.probes[n]) for n in names))
        return dict(zip(names, results, strict=True))


class MetricsExport:
    """Metrics the packages of one bot offer to ``/metrics`` (collected at each scrape)."""

    def __init__(self) -> None:
        self.collectors: list[Collector] = []

    def add(self, collector: Collector) -> None:
        self.collectors.append(collector)

    def collect(self, bot: str) -> Iterator[Metric]:
        """Every family of every collector, each sample labelled with ``bot``."""
        for collector in self.collectors:
            for family in collector.collect():
                labelled = Metric(family.name, family.documentation, family.type, family.unit)
                labelled.samples = [s._replace(labels={"bot": bot, **s.labels}) for s in family.samples]
                yield labelled
