"""Analytics reads (L6): incidents in a window, incident and cost rollups, anomalies, budgets.

Windowed answers read the rollups for the whole hours (or days) inside the window and the raw
table only for the partial hours at its two edges, so their cost does not grow with raw events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

# Whole hours of the window come from the rollup, the partial hours at its two edges from the
# incidents themselves; Postgres sums them per day (trends) or per dimension (distribution), so
# at most a few hundred rows travel whatever the window.
_INCIDENT_PARTS = """
WITH parts AS (
    SELECT bucket AS at, category, severity, cause_type, created_count AS n,
           created_cost_micros AS cost, resolved_count AS rn, resolution_us_sum AS rus
    FROM incident_rollups_hourly WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3
    UNION ALL
    SELECT created_at, category, severity, cause_type, 1, cost_impact_micros,
           (lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL)::int,
           CASE WHEN lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL
                THEN (extract(epoch FROM resolved_at - created_at) * 1000000)::bigint ELSE 0 END
    FROM incidents WHERE tenant_id = $1
      AND ((created_at >= $4 AND created_at < $2) OR (created_at >= $3 AND created_at <= $5))
)
SELECT {select}, sum(n)::bigint AS created_count, sum(cost)::bigint AS cost_micros,
       sum(rn)::bigint AS resolved_count, sum(rus)::bigint AS resolution_us_sum
FROM parts GROUP BY {group}
"""
_BY_DAY = (
    "date_trunc('day', at, 'UTC') AS hour, '' AS category, '' AS severity, '' AS cause_type",
    "1",
)
_BY_DIMENSION = ("$2::timestamptz AS hour, category, severity, cause_type", "2, 3, 4")

_ITEM_DAYS = """
WITH d AS (
    SELECT CASE WHEN GROUPING(feature_tag) = 0 THEN 'feature_tag'
                WHEN GROUPING(model) = 0 THEN 'model' ELSE 'user_id' END AS dimension,
           coalesce(CASE WHEN GROUPING(feature_tag) = 0 THEN feature_tag END,
                    CASE WHEN GROUPING(model) = 0 THEN model END, user_id) AS name,
           day, sum(cost_micros)::bigint AS cost
    FROM cost_rollups_daily WHERE tenant_id = $1 AND day < $3
    GROUP BY GROUPING SETS ((feature_tag, day), (model, day), (user_id, day))
)
SELECT dimension, name, min(day) AS first,
       coalesce(array_agg(day) FILTER (WHERE day >= $2), '{}') AS days,
       coalesce(array_agg(cost) FILTER (WHERE day >= $2), '{}') AS costs
FROM d GROUP BY 1, 2
"""

_METRICS = """
WITH w AS (
    SELECT lifecycle_state, severity, created_at, acked_at, resolved_at, contained_at,
           extract(epoch FROM acked_at - created_at) * 1000 AS ack_ms,
           CASE WHEN lifecycle_state = 'RESOLVED'
                THEN extract(epoch FROM resolved_at - created_at) * 1000 END AS res_ms,
           extract(epoch FROM contained_at - created_at) * 1000 AS con_ms,
           CASE severity WHEN 'critical' THEN $3::numeric WHEN 'high' THEN $4::numeric
                WHEN 'medium' THEN $5::numeric
                ELSE $6::numeric END * 1000 AS target_ms
    FROM incidents WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $7::timestamptz
)
SELECT count(*) AS total_count,
       count(*) FILTER (WHERE lifecycle_state IN ('ACTIVE', 'ACKED')) AS active_count,
       count(*) FILTER (WHERE lifecycle_state = 'ACKED') AS acked_count,
       count(*) FILTER (WHERE lifecycle_state = 'RESOLVED') AS resolved_count,
       count(*) FILTER (WHERE severity = 'critical') AS critical_count,
       count(*) FILTER (WHERE severity = 'high') AS high_count,
       count(*) FILTER (WHERE severity = 'medium') AS medium_count,
       count(*) FILTER (WHERE severity = 'low') AS low_count,
       avg(ack_ms) AS ack_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_ms) AS ack_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ack_ms) AS ack_p90,
       avg(res_ms) AS res_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY res_ms) AS res_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY res_ms) AS res_p90,
       avg(con_ms) AS con_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY con_ms) AS con_median,
       count(*) FILTER (WHERE res_ms IS NOT NULL AND res_ms <= target_ms) AS sla_met,
       count(*) FILTER (WHERE (res_ms IS NOT NULL AND res_ms > target_ms)
           OR (lifecycle_state <> 'RESOLVED'
               AND extract(epoch FROM $7::timestamptz - created_at) * 1000 > target_ms)) AS sla_breached
FROM w
"""


@dataclass(frozen=True, slots=True)
class CostRow:
    """Spend of one (feature, model, user) combination over part of a window."""

    feature_tag: str
    model: str
    user_id: str
    cost_micros: int
    request_count: int


async def raw_connection(connection: Any) -> asyncpg.Connection[Any]:
    """The asyncpg connection under a request's SQLAlchemy ``AsyncConnection``."""
    raw = await connection.get_raw_connection()
    conn: asyncpg.Connection[Any] = raw.driver_connection
    return conn


class AnalyticsRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def pattern_incidents(
        self, tenant: str, start: datetime, end: datetime
    ) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT incident_id, created_at, category, severity, lifecycle_state, llm_run_id "
                "FROM incidents WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3",
                tenant,
                start,
                end,
            )
        )

    async def recurrence_groups(
        self, tenant: str, start: datetime, end: datetime, threshold: int
    ) -> list[asyncpg.Record]:
        """(category, fingerprint) groups of the window with at least ``threshold`` incidents.

        ``mode()`` takes the first of equally frequent methods in its ORDER BY, so ties resolve
        alphabetically."""
        return list(
            await self.conn.fetch(
                "SELECT category, fingerprint, count(*) AS total, "
                "count(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS distinct_days, "
                "min(created_at) AS first_at, max(created_at) AS last_at, "
                "(array_agg(incident_id ORDER BY created_at DESC, incident_id DESC))[1:5] "
                "AS recent_ids, count(recurrence_of) AS reopened, "
                "mode() WITHIN GROUP (ORDER BY resolution_method) AS common_method "
                "FROM incidents WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3 "
                "GROUP BY 1, 2 HAVING count(*) >= $4",
                tenant,
                start,
                end,
                threshold,
            )
        )

    async def cost_impact(
        self, tenant: str, start: datetime, end: datetime
    ) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT category, resolution_method, count(*) AS incident_count, "
                "sum(cost_impact_micros)::bigint AS total_micros FROM incidents "
                "WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3 "
                "AND cost_impact_micros > 0 GROUP BY 1, 2",
                tenant,
                start,
                end,
            )
        )

    async def metrics(
        self, tenant: str, start: datetime, now: datetime, sla_seconds: dict[str, int]
    ) -> asyncpg.Record:
        row = await self.conn.fetchrow(
            _METRICS,
            tenant,
            start,
            Decimal(sla_seconds["critical"]),
            Decimal(sla_seconds["high"]),
            Decimal(sla_seconds["medium"]),
            Decimal(sla_seconds["low"]),
            now,
        )
        assert row is not None
        return row

    async def incident_hours(
        self,
        tenant: str,
        start: datetime,
        interior: tuple[datetime, datetime],
        end: datetime,
        by_day: bool,
    ) -> list[asyncpg.Record]:
        """Incidents created in ``[start, end]``: whole hours of ``interior`` from the rollup,
        the edges raw; summed per UTC day (``by_day``) or per category × severity × cause."""
        select, group = _BY_DAY if by_day else _BY_DIMENSION
        low, high = interior
        sql = _INCIDENT_PARTS.format(select=select, group=group)
        return list(await self.conn.fetch(sql, tenant, low, high, start, end))

    async def cost_rows(
        self, tenant: str, table: str, column: str, low: datetime, high: datetime
    ) -> list[CostRow]:
        """Spend per combination over ``[low, high)`` of the hourly or daily rollup."""
        if low >= high:
            return []
        rows = await self.conn.fetch(
            f"SELECT feature_tag, model, user_id, sum(cost_micros)::bigint AS cost_micros, "
            f"sum(request_count)::bigint AS request_count FROM {table} "
            f"WHERE tenant_id = $1 AND {column} >= $2 AND {column} < $3 GROUP BY 1, 2, 3",
            tenant,
            low,
            high,
        )
        return [CostRow(**dict(r)) for r in rows]

    async def daily_by_dimension(
        self, tenant: str, dimension: str, low: datetime, high: datetime
    ) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                f"SELECT {dimension} AS name, day, sum(cost_micros)::bigint AS cost "
                f"FROM cost_rollups_daily WHERE tenant_id = $1 AND day >= $2 AND day < $3 GROUP BY 1, 2",
                tenant,
                low,
                high,
            )
        )

    async def first_day(self, tenant: str) -> datetime | None:
        """The tenant's first day with spend (the rollup's key order makes this one probe)."""
        value: datetime | None = await self.conn.fetchval(
            "SELECT min(day) FROM cost_rollups_daily WHERE tenant_id = $1", tenant
        )
        return value

    async def item_days(self, tenant: str, low: datetime, high: datetime) -> list[asyncpg.Record]:
        """For every feature, model and user of the tenant, in one scan of its daily rollup:
        ``dimension`` (the column), ``name``, ``first`` (first day with spend before ``high``)
        and the daily spend over ``[low, high)`` as parallel arrays ``days`` / ``costs``."""
        return list(await self.conn.fetch(_ITEM_DAYS, tenant, low, high))

    async def tenant_hourly(
        self, tenant: str, low: datetime, high: datetime
    ) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT bucket, sum(cost_micros)::bigint AS cost FROM cost_rollups_hourly "
                "WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY 1",
                tenant,
                low,
                high,
            )
        )

    async def tenant_daily_total(self, tenant: str, low: datetime, high: datetime) -> int:
        value = await self.conn.fetchval(
            "SELECT coalesce(sum(cost_micros), 0)::bigint FROM cost_rollups_daily "
            "WHERE tenant_id = $1 AND day >= $2 AND day < $3",
            tenant,
            low,
            high,
        )
        return int(value)

    async def tenant_budget(self, tenant: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT daily_limit_micros, monthly_limit_micros FROM budgets "
            "WHERE tenant_id = $1 AND budget_type = 'tenant' ORDER BY (entity_id = $1) DESC LIMIT 1",
            tenant,
        )

    async def last_updated(self, job: str) -> datetime | None:
        value: datetime | None = await self.conn.fetchval(
            "SELECT advanced_at FROM analytics_watermarks WHERE name = $1", job
        )
        return value

    async def anomalies(self, tenant: str, since: datetime, now: datetime) -> list[asyncpg.Record]:
        """The tenant's anomalies detected in ``[since, now]``, newest first, with their incident."""
        return list(
            await self.conn.fetch(
                "SELECT a.event_id, a.anomaly_type, a.entity_type, a.entity_id, a.current_micros, "
                "(a.threshold * 1000000)::bigint AS threshold_micros, a.deviation_pct, a.window_end, "
                "a.detected_at, a.incident_id, i.lifecycle_state, i.resolved_at, "
                "coalesce(b.hard_limit_enabled, false) AS hard_limit_enabled "
                "FROM cost_anomalies a "
                "LEFT JOIN incidents i ON i.incident_id = a.incident_id AND i.tenant_id = a.tenant_id "
                "LEFT JOIN LATERAL (SELECT hard_limit_enabled FROM budgets b "
                "  WHERE b.tenant_id = a.tenant_id AND b.budget_type = a.entity_type "
                "  AND (b.entity_id = a.entity_id OR a.entity_type = 'tenant') "
                "  ORDER BY (b.entity_id = a.entity_id) DESC LIMIT 1) b ON true "
                "WHERE a.tenant_id = $1 AND a.detected_at >= $2 AND a.detected_at <= $3 "
                "ORDER BY a.detected_at DESC, a.event_id DESC",
                tenant,
                since,
                now,
            )
        )
