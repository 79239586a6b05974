"""The time partitions of ``cost_events`` (L3): months kept created ahead, old ones dropped per
the retention setting (docs/operations-scaling.md#growth-partitions-and-retention).

Ingest writes ``cost_events`` and its idempotency ledger ``cost_event_keys``, so it is also the
one that creates and drops their partitions (docs/adr/0005-one-writer-per-table.md). A month is
only dropped once the cost rollups hold every row of it (its ``seq`` at or below their
watermark, which ingest reads), so answers, which come from rollups, never lose spend. One
replica at a time does it (a transaction-scoped advisory lock, tried, not awaited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from guard_ingest.drivers import partitions as sql


@dataclass(frozen=True, slots=True)
class PartitionPolicy:
    #: Month partitions are kept created this many days ahead of now.
    ahead_days: int = 93
    #: Days of raw cost events to keep (whole months, once rolled up); None keeps them all.
    retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class PartitionResult:
    ran: bool
    created: int = 0
    dropped: int = 0


async def maintain_partitions(
    conn: asyncpg.Connection[Any], now: datetime, policy: PartitionPolicy
) -> PartitionResult:
    async with conn.transaction():
        if not await sql.try_lock(conn):
            return PartitionResult(ran=False)  # another replica is at it
        created = await sql.ensure_partitions(
            conn, now - timedelta(days=1), now + timedelta(days=policy.ahead_days)
        )
        dropped = 0
        if policy.retention_days is not None:
            cutoff = now - timedelta(days=policy.retention_days)
            dropped = await sql.drop_partitions(conn, cutoff, await sql.rolled_up_position(conn))
        return PartitionResult(True, created, dropped)
