"""SQL of the partition job (L6): its lock, and the storage functions that create and drop the
month partitions of ``cost_events`` (guard_storage.partitions). Runs in the caller's
transaction."""

from __future__ import annotations

from typing import Any

import asyncpg

from guard_storage.partitions import drop_partitions, ensure_partitions, rolled_up_position

__all__ = ["drop_partitions", "ensure_partitions", "rolled_up_position", "try_lock"]


async def try_lock(conn: asyncpg.Connection[Any]) -> bool:
    """One replica at a time: a transaction-scoped advisory lock, tried, not awaited."""
    return bool(
        await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('guard_ingest.partitions'))")
    )
