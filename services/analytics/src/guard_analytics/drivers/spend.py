"""Spend read back from the rollups for the anomaly detector, budgets, and the anomaly ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

#: entity type -> the hourly rollup's column holding its id, which is also its ``dimension`` in
#: the per-dimension daily rollup ('' = none, skipped for feature and user).
ENTITY_COLUMNS = {
    "tenant": "tenant_id",
    "feature": "feature_tag",
    "model": "model",
    "user": "user_id",
}
#: The entity's id in a per-dimension daily row: the tenant's total row has the value ''.
_ENTITY_ID = "CASE WHEN dimension = 'tenant_id' THEN tenant_id ELSE value END"


@dataclass(frozen=True, slots=True)
class DailySpend:
    tenant_id: str
    entity_type: str
    entity_id: str
    day: date
    cost_micros: int


@dataclass(frozen=True, slots=True)
class BudgetRow:
    tenant_id: str
    budget_type: str
    entity_id: str
    daily_limit_micros: int | None
    monthly_limit_micros: int | None
    warn_threshold_pct: int
    hard_limit_enabled: bool


class SpendRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def daily_by_entity(self, entity_type: str, since: datetime) -> list[DailySpend]:
        """Each entity's spend per UTC day from ``since``, from the per-dimension daily rollup."""
        rows = await self.conn.fetch(
            f"SELECT tenant_id, {_ENTITY_ID} AS entity_id, day, cost_micros "
            "FROM cost_rollups_dimension_daily "
            "WHERE dimension = $1 AND day >= $2 AND (dimension = 'tenant_id' OR value <> '')",
            ENTITY_COLUMNS[entity_type],
            since,
        )
        return [
            DailySpend(
                r["tenant_id"], entity_type, r["entity_id"], r["day"].date(), r["cost_micros"]
            )
            for r in rows
        ]

    async def first_days(self, entity_type: str) -> dict[tuple[str, str], date]:
        """Each entity's first day with spend."""
        rows = await self.conn.fetch(
            f"SELECT tenant_id, {_ENTITY_ID} AS entity_id, min(day) AS first "
            "FROM cost_rollups_dimension_daily "
            "WHERE dimension = $1 AND (dimension = 'tenant_id' OR value <> '') GROUP BY 1, 2",
            ENTITY_COLUMNS[entity_type],
        )
        return {(r["tenant_id"], r["entity_id"]): r["first"].date() for r in rows}

    async def budgets(self) -> list[BudgetRow]:
        rows = await self.conn.fetch(
            "SELECT tenant_id, budget_type, entity_id, daily_limit_micros, monthly_limit_micros, "
            "warn_threshold_pct, hard_limit_enabled FROM budgets"
        )
        return [BudgetRow(**dict(r)) for r in rows]

    async def spend_between(
        self, tenant_id: str, entity_type: str, entity_id: str, start: datetime, end: datetime
    ) -> int:
        """Spend of one entity over whole hours [start, end) from the hourly rollup."""
        column = ENTITY_COLUMNS[entity_type]
        value = await self.conn.fetchval(
            f"SELECT coalesce(sum(cost_micros), 0)::bigint FROM cost_rollups_hourly "
            f"WHERE tenant_id = $1 AND {column} = $2 AND bucket >= $3 AND bucket < $4",
            tenant_id,
            entity_id,
            start,
            end,
        )
        return int(value)

    async def unpublished(self, tenant_id: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self.conn.fetch(
            "SELECT event_id FROM analytics_published_anomalies "
            "WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])",
            tenant_id,
            event_ids,
        )
        return set(event_ids) - {r["event_id"] for r in rows}

    async def mark_published(
        self, rows: list[tuple[str, uuid.UUID, str, str, str, str, datetime]]
    ) -> None:
        await self.conn.executemany(
            "INSERT INTO analytics_published_anomalies (tenant_id, event_id, anomaly_type, "
            "entity_type, entity_id, period, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT DO NOTHING",
            rows,
        )
