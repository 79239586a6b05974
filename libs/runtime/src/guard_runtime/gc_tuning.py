"""Cyclic garbage collector settings for long-running services (docs/operations.md#configuration).

Everything a service builds before it serves (modules, classes, schemas, pools, the app) lives as
long as the process, yet every full collection walked all of it again; and a young collection every
700 allocations (Python's default) re-scanned whatever was in flight: the requests of the gateway
(p99 spikes in bench/api), the events of the batch in hand in ingest (bench/ingest/RESULTS.md).
Requests and batches leave little cyclic garbage, so this changes when it is freed, not whether.
"""

from __future__ import annotations

import gc
from typing import Annotated

from pydantic import Field

#: The ``gc_gen0_threshold`` setting of a service: allocations between two young-generation
#: collections (Python's default is 700).
Gen0Threshold = Annotated[int, Field(ge=100, le=10_000_000)]
DEFAULT_GEN0_THRESHOLD = 50_000


def tune_gc(gen0_threshold: int) -> None:
    """Take the heap built so far out of the collector's scans and collect the young generation
    every ``gen0_threshold`` allocations; the older generations keep their thresholds."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(gen0_threshold, older, oldest)
