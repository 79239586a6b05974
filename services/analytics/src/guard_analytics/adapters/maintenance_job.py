"""Growth maintenance (L3): future partitions ahead, old ones dropped per retention setting.

Raw cost events are only dropped once the cost rollups have read them (their seq is at or below
the watermark), so answers, which come from rollups, never lose spend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from guard_analytics.drivers import maintenance as sql
from guard_analytics.drivers.rollups import COST_JOB


@dataclass(frozen=True, slots=True)
class Retention:
    """Days to keep; ``None`` keeps everything."""

    cost_events_days: int | None = None
    hourly_rollups_days: int | None = None
    export_jobs_days: int | None = None
    partitions_ahead_days: int = 93


@dataclass(frozen=True, slots=True)
class MaintenanceResult:
    ran: bool
    partitions_created: int = 0
    partitions_dropped: int = 0
    hourly_rows_deleted: int = 0
    export_jobs_deleted: int = 0


async def maintenance_cycle(
    conn: asyncpg.Connection[Any], clock: Callable[[], datetime], retention: Retention
) -> MaintenanceResult:
    async with conn.transaction():
        if not await sql.try_lock(conn):
            return MaintenanceResult(ran=False)
        now = clock()
        created = await sql.ensure_partitions(
            conn, now - timedelta(days=1), now + timedelta(days=retention.partitions_ahead_days)
        )
        dropped = hourly = exports = 0
        if retention.cost_events_days is not None:
            upto = await sql.cost_position(conn, COST_JOB)
            cutoff = now - timedelta(days=retention.cost_events_days)
            dropped = await sql.drop_partitions(conn, cutoff, upto)
        if retention.hourly_rollups_days is not None:
            hourly = await sql.delete_hourly_rollups(
                conn, now - timedelta(days=retention.hourly_rollups_days)
            )
        if retention.export_jobs_days is not None:
            exports = await sql.delete_export_jobs(
                conn, now - timedelta(days=retention.export_jobs_days)
            )
        return MaintenanceResult(True, created, dropped, hourly, exports)
