"""Reads behind evidence (O4) and proof (O5): run cost events, killswitch events, the timeline."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from guard_api.drivers.rows import CostEventRow, KillswitchEventRow, TimelineRow, field_names
from guard_storage.models.ingest import CostEvent, IncidentEvent, KillswitchEvent

_COST = ", ".join(CostEvent.__table__.c[n].name for n in field_names(CostEventRow))
_KS = ", ".join(KillswitchEvent.__table__.c[n].name for n in field_names(KillswitchEventRow))
_TL = ", ".join(IncidentEvent.__table__.c[n].name for n in field_names(TimelineRow))


class EvidenceRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def run_steps(
        self, tenant_id: str, run_id: str, limit: int
    ) -> tuple[list[CostEventRow], int]:
        """The run's cost events in step order, and how many there are in all."""
        records = await self._conn.fetch(
            f"SELECT {_COST} FROM cost_events WHERE tenant_id = $1 AND run_id = $2"
            " ORDER BY step_index ASC NULLS LAST, occurred_at, event_id LIMIT $3",
            tenant_id,
            run_id,
            limit,
        )
        rows = [CostEventRow(**dict(r.items())) for r in records]
        if len(rows) < limit:
            return rows, len(rows)
        total = await self._conn.fetchval(
            "SELECT count(*) FROM cost_events WHERE tenant_id = $1 AND run_id = $2",
            tenant_id,
            run_id,
        )
        return rows, int(total)

    async def killswitch_events(
        self, tenant_id: str, incident_id: UUID
    ) -> list[KillswitchEventRow]:
        records = await self._conn.fetch(
            f"SELECT {_KS} FROM killswitch_events WHERE tenant_id = $1 AND incident_id = $2"
            " ORDER BY occurred_at, seq",
            tenant_id,
            incident_id,
        )
        return [KillswitchEventRow(**dict(r.items())) for r in records]

    async def timeline(self, tenant_id: str, incident_id: UUID) -> list[TimelineRow]:
        records = await self._conn.fetch(
            f"SELECT {_TL} FROM incident_events WHERE tenant_id = $1 AND incident_id = $2"
            " ORDER BY sequence",
            tenant_id,
            incident_id,
        )
        # JSONB arrives as text on a plain asyncpg connection.
        return [TimelineRow(**{**dict(r.items()), "data": json.loads(r["data"])}) for r in records]

    async def timeline_with_head(
        self, tenant_id: str, incident_id: UUID
    ) -> tuple[list[TimelineRow], str | None, int] | None:
        """The timeline and the head the incident records for it (``timeline_head``,
        ``timeline_length``), read in ONE statement so both come from the same snapshot: a proof
        must not call an entry appended between two reads "missing". None: no such incident."""
        columns = ", ".join(f"e.{c}" for c in field_names(TimelineRow))
        records = await self._conn.fetch(
            f"SELECT i.timeline_head AS head_hash, i.timeline_length AS head_length, {columns}"
            " FROM incidents i LEFT JOIN incident_events e"
            " ON e.tenant_id = i.tenant_id AND e.incident_id = i.incident_id"
            " WHERE i.tenant_id = $1 AND i.incident_id = $2 ORDER BY e.sequence",
            tenant_id,
            incident_id,
        )
        if not records:
            return None
        head, length = records[0]["head_hash"], int(records[0]["head_length"])
        rows = [
            TimelineRow(
                **{n: r[n] for n in field_names(TimelineRow)} | {"data": json.loads(r["data"])}
            )
            for r in records
            if r["sequence"] is not None
        ]
        return rows, head, length
