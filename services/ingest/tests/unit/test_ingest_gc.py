"""The composition root's GC tuning: start-up heap frozen, young collections less often."""

from __future__ import annotations

import gc

from guard_ingest.config import Settings
from guard_ingest.main import tune_gc


def test_tune_gc_freezes_the_start_up_heap_and_raises_gen0() -> None:
    before = gc.get_threshold()
    try:
        tune_gc(Settings().gc_gen0_threshold)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (50_000, before[1], before[2])
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
