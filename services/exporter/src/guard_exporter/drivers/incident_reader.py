"""Read-only access to the incident data ingest and analytics own (SPEC §1: one writer per table).

Every method returns plain dicts. ``snapshot()`` reads everything of one export in one REPEATABLE
READ, READ ONLY transaction, so the files of a bundle describe one consistent state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guard_storage.models import (
    CostEvent,
    CostRollupDaily,
    Incident,
    IncidentEvent,
    KillswitchEvent,
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
        t = IncidentEvent
        query = (
            select(
                t.sequence,
                t.entry_type,
                t.occurred_at,
                t.source_event_id,
                t.data,
                t.prev_hash,
                t.hash,
            )
            .where(t.tenant_id == tenant_id, t.incident_id == incident_id)
            .order_by(t.sequence)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def killswitch_events(
        self, tenant_id: str, incident_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        k = KillswitchEvent
        query = (
            select(
                k.event_id,
                k.event_type,
                k.occurred_at,
                k.killswitch_id,
                k.trigger_type,
                k.action,
                k.run_id,
                k.agent_id,
                k.policy_id,
                k.rule,
                k.reason,
                k.actor_id,
                k.calls_affected,
                k.cost_delta_micros,
                k.error_rate,
                k.severity,
                k.raw,
            )
            .where(k.tenant_id == tenant_id, k.incident_id == incident_id)
            .order_by(k.occurred_at, k.seq)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def run_steps(
        self, tenant_id: str, run_ids: Iterable[str], limit: int
    ) -> list[dict[str, Any]]:
        runs = sorted(set(run_ids))
        if not runs:
            return []
        c = CostEvent
        query = (
            select(
                c.event_id,
                c.occurred_at,
                c.run_id,
                c.step_index,
                c.agent_id,
                c.model,
                c.provider,
                c.input_tokens,
                c.output_tokens,
                c.cost_micros,
                c.duration_ms,
                c.status,
            )
            .where(c.tenant_id == tenant_id, c.run_id.in_(runs))
            .order_by(c.run_id, c.step_index.asc().nulls_last(), c.occurred_at, c.event_id)
            .limit(limit)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

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
