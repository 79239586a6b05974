"""Maintenance SQL (L6): retention of the hourly cost rollups (docs/operations-scaling.md).
Each call runs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('guard_analytics.maintenance'))"


async def try_lock(conn: asyncpg.Connection[Any]) -> bool:
    return bool(await conn.fetchval(LOCK))


async def delete_hourly_rollups(conn: asyncpg.Connection[Any], before: datetime) -> int:
    """Drop the hourly cost rollups of hours before ``before`` (the daily ones stay)."""
    total = 0
    for table in ("cost_rollups_hourly", "cost_rollups_tenant_hourly"):
        status = await conn.execute(f"DELETE FROM {table} WHERE bucket < $1", before)
        total += int(status.split()[-1])
    return total
