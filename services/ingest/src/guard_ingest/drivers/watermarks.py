"""Stream time per (tenant, incident topic), advanced in the transaction of the batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

#: (tenant_id, topic, kafka_partition, stream_time)
Row = tuple[str, str, int, datetime]

_ADVANCE = (
    "INSERT INTO ingest_watermarks (tenant_id, topic, kafka_partition, stream_time) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) "
    "ON CONFLICT (tenant_id, topic) DO UPDATE SET "
    "stream_time = greatest(ingest_watermarks.stream_time, EXCLUDED.stream_time), "
    "kafka_partition = EXCLUDED.kafka_partition, updated_at = now() "
    "WHERE ingest_watermarks.stream_time < EXCLUDED.stream_time "
    "OR ingest_watermarks.kafka_partition <> EXCLUDED.kafka_partition"
)


async def advance(conn: asyncpg.Connection[Any], rows: Sequence[Row]) -> None:
    """Move each row's stream time forward (never back); rows in key order (no deadlocks)."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: (r[0], r[1]))
    await conn.execute(
        _ADVANCE,
        [r[0] for r in ordered],
        [r[1] for r in ordered],
        [r[2] for r in ordered],
        [r[3] for r in ordered],
    )
