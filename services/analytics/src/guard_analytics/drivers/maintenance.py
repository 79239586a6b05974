"""Growth maintenance SQL (L6): cost_events partitions, retention of raw events, hourly rollups
and export jobs (docs/operations-scaling.md). Each call runs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from guard_storage.partitions import drop_partitions, ensure_partitions

__all__ = ["delete_export_jobs", "delete_hourly_rollups", "drop_partitions", "ensure_partitions"]

LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('guard_analytics.maintenance'))"


async def try_lock(conn: asyncpg.Connection[Any]) -> bool:
    return bool(await conn.fetchval(LOCK))


async def cost_position(conn: asyncpg.Connection[Any], job: str) -> int:
    """How far the cost rollups have read ``cost_events`` (0 before the first cycle)."""
    value = await conn.fetchval("SELECT position FROM analytics_watermarks WHERE name = $1", job)
    return int(value or 0)


async def delete_hourly_rollups(conn: asyncpg.Connection[Any], before: datetime) -> int:
    """Drop the hourly cost rollups of hours before ``before`` (the daily ones stay)."""
    total = 0
    for table in ("cost_rollups_hourly", "cost_rollups_tenant_hourly"):
        status = await conn.execute(f"DELETE FROM {table} WHERE bucket < $1", before)
        total += int(status.split()[-1])
    return total


async def delete_export_jobs(conn: asyncpg.Connection[Any], before: datetime) -> int:
    """Forget finished export jobs (and their stored artifacts) completed before ``before``."""
    status = await conn.execute(
        "DELETE FROM export_jobs WHERE status IN ('completed', 'failed') AND completed_at < $1",
        before,
    )
    return int(status.split()[-1])
