"""Reads behind evidence (O4) and proof (O5): run cost events, killswitch events, the timeline."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_api.drivers.rows import CostEventRow, KillswitchEventRow, TimelineRow, field_names
from guard_storage.models.ingest import CostEvent, Incident, IncidentEvent, KillswitchEvent

_C = CostEvent.__table__
_I = Incident.__table__
_K = KillswitchEvent.__table__
_L = IncidentEvent.__table__
_COST = [_C.c[n] for n in field_names(CostEventRow)]
_KS = [_K.c[n] for n in field_names(KillswitchEventRow)]
_TL = [_L.c[n] for n in field_names(TimelineRow)]


class EvidenceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def run_steps(
        self, tenant_id: str, run_id: str, limit: int
    ) -> tuple[list[CostEventRow], int]:
        """The run's cost events in step order, and how many there are in all."""
        query = (
            select(*_COST, func.count().over().label("total"))
            .where(_C.c.tenant_id == tenant_id, _C.c.run_id == run_id)
            .order_by(_C.c.step_index.asc().nulls_last(), _C.c.occurred_at, _C.c.event_id)
            .limit(limit)
        )
        records = (await self._conn.execute(query)).mappings().all()
        rows = [CostEventRow(**{c.name: r[c.name] for c in _COST}) for r in records]
        return rows, int(records[0]["total"]) if records else 0

    async def killswitch_events(
        self, tenant_id: str, incident_id: UUID
    ) -> list[KillswitchEventRow]:
        query = (
            select(*_KS)
            .where(_K.c.tenant_id == tenant_id, _K.c.incident_id == incident_id)
            .order_by(_K.c.occurred_at, _K.c.seq)
        )
        records = (await self._conn.execute(query)).mappings().all()
        return [KillswitchEventRow(**r) for r in records]

    async def timeline(self, tenant_id: str, incident_id: UUID) -> list[TimelineRow]:
        query = (
            select(*_TL)
            .where(_L.c.tenant_id == tenant_id, _L.c.incident_id == incident_id)
            .order_by(_L.c.sequence)
        )
        # JSONB arrives decoded (the engine's dialect registers the codec).
        records = (await self._conn.execute(query)).mappings().all()
        return [TimelineRow(**r) for r in records]

    async def timeline_with_head(
        self, tenant_id: str, incident_id: UUID
    ) -> tuple[list[TimelineRow], str | None, int] | None:
        """The timeline and the head the incident records for it (``timeline_head``,
        ``timeline_length``), read in ONE statement so both come from the same snapshot: a proof
        must not call an entry appended between two reads "missing". None: no such incident."""
        query = (
            select(
                _I.c.timeline_head.label("head_hash"),
                _I.c.timeline_length.label("head_length"),
                *_TL,
            )
            .select_from(
                _I.outerjoin(
                    _L,
                    and_(_L.c.tenant_id == _I.c.tenant_id, _L.c.incident_id == _I.c.incident_id),
                )
            )
            .where(_I.c.tenant_id == tenant_id, _I.c.incident_id == incident_id)
            .order_by(_L.c.sequence)
        )
        records = (await self._conn.execute(query)).mappings().all()
        if not records:
            return None
        head, length = records[0]["head_hash"], int(records[0]["head_length"])
        rows = [
            TimelineRow(**{c.name: r[c.name] for c in _TL})
            for r in records
            if r["sequence"] is not None
        ]
        return rows, head, length
