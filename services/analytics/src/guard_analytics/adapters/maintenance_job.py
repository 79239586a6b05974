"""Maintenance (L3): the hourly cost rollups pruned per the retention setting.

Analytics prunes only the tables it writes; the months of ``cost_events`` are ingest's
(guard_ingest.adapters.partitions_job) and finished export jobs the exporter's
(docs/adr/0005-one-writer-per-table.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from guard_analytics.drivers import maintenance as sql


@dataclass(frozen=True, slots=True)
class Retention:
    """Days to keep; ``None`` keeps everything."""

    hourly_rollups_days: int | None = None


@dataclass(frozen=True, slots=True)
class MaintenanceResult:
    ran: bool
    hourly_rows_deleted: int = 0


async def maintenance_cycle(
    conn: asyncpg.Connection[Any], clock: Callable[[], datetime], retention: Retention
) -> MaintenanceResult:
    async with conn.transaction():
        if not await sql.try_lock(conn):
            return MaintenanceResult(ran=False)
        hourly = 0
        if retention.hourly_rollups_days is not None:
            hourly = await sql.delete_hourly_rollups(
                conn, clock() - timedelta(days=retention.hourly_rollups_days)
            )
        return MaintenanceResult(True, hourly)
