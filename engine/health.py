"""Readiness probes: what a bot needs at run time (its database, an API), checked by ``/readyz``.

``serve`` puts a :class:`Readiness` in each bot's services before the packages' start-up hooks
run; a package registers probes there (other commands have none, so ``find`` returns None)::

    async def setup_package(pkg: PackageContext) -> None:
        ...
        if (readiness := pkg.services.find(Readiness)) is not None:
            readiness.add("database", store.ping)

A probe is an ``async`` callable that raises when the thing it checks is not reachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from engine.masking import mask

__all__ = ["OK", "Probe", "Readiness"]

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
