"""The collector settings every long-running service applies at start (guard_runtime.gc_tuning)."""

from __future__ import annotations

import gc

from guard_runtime.gc_tuning import tune_gc


def test_tune_gc_freezes_the_heap_built_so_far_and_sets_only_gen0() -> None:
    before = gc.get_threshold()
    kept = [object() for _ in range(10)]  # something alive now, to be frozen
    try:
        tune_gc(12_345)
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold() == (12_345, before[1], before[2])
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
