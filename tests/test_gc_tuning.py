"""After start-up a long-running bot moves what it built to the collector's permanent generation and
collects its youngest generation less often (bench/: p99 and CPU per update; see the README)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from engine.runtime.gc_tuning import GEN0_THRESHOLD, settle_after_startup


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_what_start_up_built_is_frozen_and_young_collections_are_rarer() -> None:
    built_at_start_up = [{"window": n} for n in range(1000)]
    before = gc.get_threshold()
    settle_after_startup()
    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == (GEN0_THRESHOLD, before[1], before[2])
    assert before[0] < GEN0_THRESHOLD
