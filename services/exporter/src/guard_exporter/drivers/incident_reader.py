"""Read-only access to the incident data ingest and analytics own (SPEC §1: one writer per table).

Tables: incidents, incident_events, killswitch_events, cost_events (ingest), cost_rollups_daily
(analytics).

Every method returns plain dicts. ``snapshot()`` reads everything of one export in one REPEATABLE
READ, READ ONLY transaction, so the files of a bundle describe one consistent state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import Date, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guard_storage.models import (
    CostEvent,
    CostRollupDaily,
    Incident,
)

_INCIDENT_COLUMNS = list(Incident.__table__.columns)
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

    async def daily_spend(self, tenant_id: str, first: date, last: date) -> list[dict[str, Any]]:
        """From the daily rollups when analytics has filled them for the window; else from the raw
        cost events (the rollups may lag or analytics may not run at all)."""
        start = datetime.combine(first, time(), UTC)
        end = datetime.combine(last + timedelta(days=1), time(), UTC)
        r = CostRollupDaily
        rollup_day = cast(func.timezone("UTC", r.day), Date).label("day")
        rollups = (
            select(rollup_day, func.sum(r.cost_micros).label("cost_micros"))
            .where(r.tenant_id == tenant_id, r.day >= start, r.day < end)
            .group_by(rollup_day)
            .order_by(rollup_day)
        )
        rows = [dict(row) for row in (await self._conn.execute(rollups)).mappings()]
        if rows:
            return rows
        c = CostEvent
        event_day = cast(func.timezone("UTC", c.occurred_at), Date).label("day")
        raw = (
            select(event_day, func.sum(c.cost_micros).label("cost_micros"))
            .where(c.tenant_id == tenant_id, c.occurred_at >= start, c.occurred_at < end)
            .group_by(event_day)
            .order_by(event_day)
        )
        return [dict(row) for row in (await self._conn.execute(raw)).mappings()]
