"""Streams a tenant's incidents of a period with their timelines (read-only; ingest owns them).

One REPEATABLE READ, READ ONLY transaction and a server-side cursor: rows arrive in batches, one
incident's timeline at a time, so 100,000 incidents are never in memory together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from guard_storage.models import Incident

_INCIDENT_COLUMNS = [c.name for c in Incident.__table__.columns]
#: The order of a yielded timeline row (that of ``engines.records.TimelineRow``).
TIMELINE_FIELDS = (
    "sequence", "entry_type", "occurred_at", "source_event_id", "data", "prev_hash", "hash",
)  # fmt: skip
_TIMELINE_COLUMNS = (
    "sequence",
    "entry_type",
    "occurred_at",
    "source_event_id",
    "prev_hash",
    "hash",
)
#: Rows fetched from the cursor per round trip.
PREFETCH = 2000
_FILTER_COLUMNS = {
    "severities": "severity",
    "categories": "category",
    "lifecycle_states": "lifecycle_state",
}


def _query(filters: dict[str, list[str]]) -> tuple[str, list[list[str]]]:
    where: list[str] = []
    extra: list[list[str]] = []
    for key, column in _FILTER_COLUMNS.items():
        values = filters.get(key)
        if values:
            extra.append(list(values))
            where.append(f" AND i.{column} = ANY(${3 + len(extra)}::text[])")
    incident = ", ".join(f"i.{c}" for c in _INCIDENT_COLUMNS)
    timeline = ", ".join(f"e.{c} AS e_{c}" for c in _TIMELINE_COLUMNS)
    sql = (
        f"SELECT {incident}, {timeline}, e.data::text AS e_data FROM incidents i"
        " LEFT JOIN incident_events e ON e.incident_id = i.incident_id AND e.tenant_id = i.tenant_id"
        " WHERE i.tenant_id = $1 AND i.created_at >= $2 AND i.created_at < $3"
        + "".join(where)
        + " ORDER BY i.created_at, i.incident_id, e.sequence"
    )
    return sql, extra


class PeriodReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def incidents(
        self,
        tenant_id: str,
        period_from: datetime,
        period_to: datetime,
        filters: dict[str, list[str]],
    ) -> AsyncIterator[tuple[Mapping[str, Any], list[tuple[Any, ...]]]]:
        """Yield (incident row, its timeline rows in sequence order), oldest incident first.

        A timeline row is a tuple in the order of ``TIMELINE_FIELDS``.

        A producer task keeps the next batch of rows on its way from PostgreSQL while the caller
        works on the current one (at most ``_AHEAD`` batches wait, so memory stays bounded).
        """
        sql, extra = _query(filters)
        async with self._engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            async with raw.transaction(isolation="repeatable_read", readonly=True):
                cursor = await raw.cursor(sql, tenant_id, period_from, period_to, *extra)
                batches: asyncio.Queue[list[Any]] = asyncio.Queue(maxsize=_AHEAD)
                producer = asyncio.create_task(_produce(cursor, batches))
                try:
                    async for item in _group(batches):
                        yield item
                finally:
                    producer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await producer


_AHEAD = 2


async def _produce(cursor: Any, batches: asyncio.Queue[list[Any]]) -> None:
    while True:
        batch = await cursor.fetch(PREFETCH)
        await batches.put(batch)
        if not batch:
            return


async def _group(
    batches: asyncio.Queue[list[Any]],
) -> AsyncIterator[tuple[Mapping[str, Any], list[tuple[Any, ...]]]]:
    current: Mapping[str, Any] | None = None
    timeline: list[tuple[Any, ...]] = []
    while batch := await batches.get():
        for record in batch:
            if current is None or record["incident_id"] != current["incident_id"]:
                if current is not None:
                    yield current, timeline
                current = record  # an asyncpg Record: read by column name
                timeline = []
            if record["e_sequence"] is not None:
                # Positional, in TimelineRow's field order (built straight into the record by the
                # caller: 300,000 dicts fewer for 100,000 incidents).
                timeline.append(
                    (
                        record["e_sequence"],
                        record["e_entry_type"],
                        record["e_occurred_at"],
                        record["e_source_event_id"],
                        orjson.loads(record["e_data"]),
                        record["e_prev_hash"],
                        record["e_hash"],
                    )
                )
    if current is not None:
        yield current, timeline
