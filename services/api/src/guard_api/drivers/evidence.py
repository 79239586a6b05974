"""Reads behind evidence (O4) and proof (O5): run cost events, killswitch events, the timeline."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_api.drivers.rows import CostEventRow, KillswitchEventRow, TimelineRow, field_names
from guard_storage.models.ingest import CostEvent, IncidentEvent, KillswitchEvent

_COST = CostEvent.__table__
_KS = KillswitchEvent.__table__
_TL = IncidentEvent.__table__


class EvidenceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def run_steps(
        self, tenant_id: str, run_id: str, limit: int
    ) -> tuple[list[CostEventRow], int]:
        """The run's cost events in step order, and how many there are in all."""
        condition = (_COST.c.tenant_id == tenant_id) & (_COST.c.run_id == run_id)
        query = (
            select(*[_COST.c[n] for n in field_names(CostEventRow)])
            .where(condition)
            .order_by(_COST.c.step_index.asc().nulls_last(), _COST.c.occurred_at, _COST.c.event_id)
            .limit(limit)
        )
        rows = [CostEventRow(**r) for r in (await self._conn.execute(query)).mappings()]
        if len(rows) < limit:
            return rows, len(rows)
        total = await self._conn.scalar(select(func.count()).select_from(_COST).where(condition))
        return rows, int(total or 0)

    async def killswitch_events(
        self, tenant_id: str, incident_id: UUID
    ) -> list[KillswitchEventRow]:
        query = (
            select(*[_KS.c[n] for n in field_names(KillswitchEventRow)])
            .where(_KS.c.tenant_id == tenant_id, _KS.c.incident_id == incident_id)
            .order_by(_KS.c.occurred_at, _KS.c.seq)
        )
        return [KillswitchEventRow(**r) for r in (await self._conn.execute(query)).mappings()]

    async def timeline(self, tenant_id: str, incident_id: UUID) -> list[TimelineRow]:
        query = (
            select(*[_TL.c[n] for n in field_names(TimelineRow)])
            .where(_TL.c.tenant_id == tenant_id, _TL.c.incident_id == incident_id)
            .order_by(_TL.c.sequence)
        )
        return [TimelineRow(**r) for r in (await self._conn.execute(query)).mappings()]
