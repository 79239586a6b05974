"""Read-only access to the incident data ingest and analytics own (docs/architecture.md#services: one writer per table).

Tables: incidents, incident_events, killswitch_events, cost_events (ingest).

Every method returns plain dicts. ``snapshot()`` reads everything of one export in one REPEATABLE
READ, READ ONLY transaction, so the files of a bundle describe one consistent state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guard_storage.models import Incident

_INCIDENT_COLUMNS = list(Incident.__table__.columns)
#: Buckets are aligned to this Monday (the chart engine aligns to the same instant).
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)
#: How many candidate similar incidents to read; the learnings engine ranks and keeps five.
SIMILAR_CANDIDATES = 50


class IncidentReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[IncidentSnapshot]:
        async with self._engine.connect() as conn:
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with conn.begin():
                yield IncidentSnapshot(conn)


class IncidentSnapshot:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def incident(self, tenant_id: str, incident_id: uuid.UUID) -> dict[str, Any] | None:
        query = select(*_INCIDENT_COLUMNS).where(
            Incident.tenant_id == tenant_id, Incident.incident_id == incident_id
        )
        row = (await self._conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def timeline(self, tenant_id: str, incident_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT sequence, entry_type, occurred_at, source_event_id, data::text AS data,"
            " prev_hash, hash FROM incident_events"
            " WHERE tenant_id = $1 AND incident_id = $2 ORDER BY sequence",
            tenant_id,
            incident_id,
        )
        for row in rows:
            row["data"] = orjson.loads(row["data"])
        return rows

    async def killswitch_events(
        self, tenant_id: str, incident_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        return await self._fetch(
            "SELECT event_id, event_type, occurred_at, killswitch_id, trigger_type, action, run_id,"
            " agent_id, policy_id, rule, reason, actor_id, calls_affected, cost_delta_micros,"
            " error_rate, severity, raw FROM killswitch_events"
            " WHERE tenant_id = $1 AND incident_id = $2 ORDER BY occurred_at, seq",
            tenant_id,
            incident_id,
        )

    async def run_steps(
        self, tenant_id: str, run_ids: Iterable[str], limit: int
    ) -> list[dict[str, Any]]:
        runs = sorted(set(run_ids))
        if not runs:
            return []
        return await self._fetch(
            "SELECT event_id, occurred_at, run_id, step_index, agent_id, model, provider,"
            " input_tokens, output_tokens, cost_micros, duration_ms, status FROM cost_events"
            " WHERE tenant_id = $1 AND run_id = ANY($2::text[])"
            " ORDER BY run_id, step_index ASC NULLS LAST, occurred_at, event_id LIMIT $3",
            tenant_id,
            runs,
            limit,
        )

    async def _fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """The bulk reads (timeline, events, steps) go straight to asyncpg on the snapshot's own
        connection: ten thousand rows through SQLAlchemy's result layer cost ~0.5 s more."""
        raw = await self._conn.get_raw_connection()
        records = await raw.driver_connection.fetch(sql, *args)  # type: ignore[union-attr]
        return [dict(r) for r in records]

    async def similar_candidates(
        self, tenant_id: str, incident_id: uuid.UUID, fingerprint: str, category: str
    ) -> list[dict[str, Any]]:
        i = Incident
        same_fingerprint = case((i.fingerprint == fingerprint, 0), else_=1)
        query = (
            select(
                i.incident_id,
                i.fingerprint,
                i.category,
                i.resolution_method,
                i.created_at,
                i.resolved_at,
            )
            .where(
                i.tenant_id == tenant_id,
                i.incident_id != incident_id,
                i.lifecycle_state == "RESOLVED",
                or_(i.fingerprint == fingerprint, i.category == category),
            )
            .order_by(same_fingerprint, i.resolved_at.desc(), i.incident_id)
            .limit(SIMILAR_CANDIDATES)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def spend_buckets(
        self,
        tenant_id: str,
        *,
        run_id: str | None,
        agent_id: str | None,
        start: datetime,
        end: datetime,
        bucket: timedelta,
    ) -> list[dict[str, Any]]:
        """Billed spend of one run (or one agent) per bucket of ``bucket`` in [start, end), from the
        raw cost events (exact, and independent of how far the rollups have got)."""
        column, value = ("run_id", run_id) if run_id is not None else ("agent_id", agent_id)
        return await self._fetch(
            "SELECT date_bin($4::interval, occurred_at, $5::timestamptz) AS start,"
            " sum(cost_micros)::bigint AS cost_micros FROM cost_events"
            f" WHERE tenant_id = $1 AND {column} = $2 AND occurred_at >= $3"
            " AND occurred_at < $6 GROUP BY 1 ORDER BY 1",
            tenant_id,
            value,
            start,
            bucket,
            BUCKET_ORIGIN,
            end,
        )
