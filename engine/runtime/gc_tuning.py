"""Garbage collection tuned for a long-running bot.

After start-up the scenario, the compiled dialogs, aiogram's and pydantic's models and every module
are alive for good; :func:`settle_after_startup` moves them to the permanent generation
(``gc.freeze``), so no later collection walks them again, and raises the youngest generation's
threshold so that short-lived objects of an update mostly die before a collection runs. Full
collections (the long pauses that set a bot's p99) then stay rare and short.
"""

from __future__ import annotations

import gc

__all__ = ["GEN0_THRESHOLD", "settle_after_startup"]

#: allocations between collections of the youngest generation (CPython's default: 700)
GEN0_THRESHOLD = 20_000


def settle_after_startup() -> None:
    """Collect once, freeze what survived, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, older, oldest)
