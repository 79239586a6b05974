"""Analytics reads (L6): incidents in a window, incident and cost rollups, anomalies, budgets.

Windowed answers read the rollups for the whole hours (or days) inside the window and the raw
table only for the partial hours at its two edges, so their cost does not grow with raw events.

Statements composed per request are SQLAlchemy Core over the storage metadata. The four fixed
analytical statements (rollup + edges, grouping sets, percentiles, the anomaly join) are constant
``text()`` with bound parameters: nothing in them is assembled from request input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, TextClause, cast, func, select, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_storage.models.analytics import (
    AnalyticsWatermark,
    CostRollupDaily,
    CostRollupHourly,
)
from guard_storage.models.ingest import Budget, Incident

_I = Incident.__table__
_HOURLY = CostRollupHourly.__table__
_DAILY = CostRollupDaily.__table__
#: (rollup table name, time column) a cost query may read -> that column.
_COST_ROLLUPS = {
    ("cost_rollups_hourly", "bucket"): _HOURLY.c.bucket,
    ("cost_rollups_daily", "day"): _DAILY.c.day,
}
_DIMENSIONS = ("tenant_id", "feature_tag", "model", "user_id")


def _sum(column: ColumnElement[int]) -> ColumnElement[int]:
    """``sum()`` of a bigint is numeric in Postgres; micro-dollars stay integers."""
    return cast(func.sum(column), BigInteger)


def _incident_parts(select_list: str, group: str) -> TextClause:
    # Whole hours of the window come from the rollup, the partial hours at its two edges from
    # the incidents themselves; Postgres sums them per day (trends) or per dimension
    # (distribution), so at most a few hundred rows travel whatever the window.
    return text(
        f"""
WITH parts AS (
    SELECT bucket AS at, category, severity, cause_type, created_count AS n,
           created_cost_micros AS cost, resolved_count AS rn, resolution_us_sum AS rus
    FROM incident_rollups_hourly WHERE tenant_id = :tenant AND bucket >= :low AND bucket < :high
    UNION ALL
    SELECT created_at, category, severity, cause_type, 1, cost_impact_micros,
           (lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL)::int,
           CASE WHEN lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL
                THEN (extract(epoch FROM resolved_at - created_at) * 1000000)::bigint ELSE 0 END
    FROM incidents WHERE tenant_id = :tenant
      AND ((created_at >= :start AND created_at < :low)
           OR (created_at >= :high AND created_at <= :end))
)
SELECT {select_list}, sum(n)::bigint AS created_count, sum(cost)::bigint AS cost_micros,
       sum(rn)::bigint AS resolved_count, sum(rus)::bigint AS resolution_us_sum
FROM parts GROUP BY {group}
"""
    )


_BY_DAY = _incident_parts(
    "date_trunc('day', at, 'UTC') AS hour, '' AS category, '' AS severity, '' AS cause_type", "1"
)
_BY_DIMENSION = _incident_parts(
    "CAST(:low AS timestamptz) AS hour, category, severity, cause_type", "2, 3, 4"
)

_ITEM_DAYS = text(
    """
WITH d AS (
    SELECT CASE WHEN GROUPING(feature_tag) = 0 THEN 'feature_tag'
                WHEN GROUPING(model) = 0 THEN 'model' ELSE 'user_id' END AS dimension,
           coalesce(CASE WHEN GROUPING(feature_tag) = 0 THEN feature_tag END,
                    CASE WHEN GROUPING(model) = 0 THEN model END, user_id) AS name,
           day, sum(cost_micros)::bigint AS cost
    FROM cost_rollups_daily WHERE tenant_id = :tenant AND day < :high
    GROUP BY GROUPING SETS ((feature_tag, day), (model, day), (user_id, day))
)
SELECT dimension, name, min(day) AS first,
       coalesce(array_agg(day) FILTER (WHERE day >= :low), '{}') AS days,
       coalesce(array_agg(cost) FILTER (WHERE day >= :low), '{}') AS costs
FROM d GROUP BY 1, 2
"""
)

_METRICS = text(
    """
WITH w AS (
    SELECT lifecycle_state, severity, created_at, acked_at, resolved_at, contained_at,
           extract(epoch FROM acked_at - created_at) * 1000 AS ack_ms,
           CASE WHEN lifecycle_state = 'RESOLVED'
                THEN extract(epoch FROM resolved_at - created_at) * 1000 END AS res_ms,
           extract(epoch FROM contained_at - created_at) * 1000 AS con_ms,
           CASE severity WHEN 'critical' THEN CAST(:sla_critical AS numeric)
                WHEN 'high' THEN CAST(:sla_high AS numeric)
                WHEN 'medium' THEN CAST(:sla_medium AS numeric)
                ELSE CAST(:sla_low AS numeric) END * 1000 AS target_ms
    FROM incidents WHERE tenant_id = :tenant AND created_at >= :start
      AND created_at <= CAST(:now AS timestamptz)
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
               AND extract(epoch FROM CAST(:now AS timestamptz) - created_at) * 1000
                   > target_ms)) AS sla_breached
FROM w
"""
)

# ``mode()`` takes the first of equally frequent methods in its ORDER BY, so ties resolve
# alphabetically.
_RECURRENCE = text(
    """
SELECT category, fingerprint, count(*) AS total,
       count(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS distinct_days,
       min(created_at) AS first_at, max(created_at) AS last_at,
       (array_agg(incident_id ORDER BY created_at DESC, incident_id DESC))[1:5] AS recent_ids,
       count(recurrence_of) AS reopened,
       mode() WITHIN GROUP (ORDER BY resolution_method) AS common_method
FROM incidents WHERE tenant_id = :tenant AND created_at >= :start AND created_at <= :end
GROUP BY 1, 2 HAVING count(*) >= :threshold
"""
)

_ANOMALIES = text(
    """
SELECT a.event_id, a.anomaly_type, a.entity_type, a.entity_id, a.current_micros,
       (a.threshold * 1000000)::bigint AS threshold_micros, a.deviation_pct, a.window_end,
       a.detected_at, a.incident_id, i.lifecycle_state, i.resolved_at,
       coalesce(b.hard_limit_enabled, false) AS hard_limit_enabled
FROM cost_anomalies a
LEFT JOIN incidents i ON i.incident_id = a.incident_id AND i.tenant_id = a.tenant_id
LEFT JOIN LATERAL (SELECT hard_limit_enabled FROM budgets b
    WHERE b.tenant_id = a.tenant_id AND b.budget_type = a.entity_type
      AND (b.entity_id = a.entity_id OR a.entity_type = 'tenant')
    ORDER BY (b.entity_id = a.entity_id) DESC LIMIT 1) b ON true
WHERE a.tenant_id = :tenant AND a.detected_at >= :since AND a.detected_at <= :now
ORDER BY a.detected_at DESC, a.event_id DESC
"""
)


@dataclass(frozen=True, slots=True)
class CostRow:
    """Spend of one (feature, model, user) combination over part of a window."""

    feature_tag: str
    model: str
    user_id: str
    cost_micros: int
    request_count: int


class AnalyticsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _all(self, statement: Any, **params: Any) -> list[RowMapping]:
        return list((await self.conn.execute(statement, params)).mappings().all())

    async def pattern_incidents(
        self, tenant: str, start: datetime, end: datetime
    ) -> list[RowMapping]:
        c = _I.c
        return await self._all(
            select(
                c.incident_id, c.created_at, c.category, c.severity, c.lifecycle_state, c.llm_run_id
            ).where(c.tenant_id == tenant, c.created_at >= start, c.created_at <= end)
        )

    async def recurrence_groups(
        self, tenant: str, start: datetime, end: datetime, threshold: int
    ) -> list[RowMapping]:
        """(category, fingerprint) groups of the window with at least ``threshold`` incidents."""
        return await self._all(
            _RECURRENCE, tenant=tenant, start=start, end=end, threshold=threshold
        )

    async def cost_impact(self, tenant: str, start: datetime, end: datetime) -> list[RowMapping]:
        c = _I.c
        return await self._all(
            select(
                c.category,
                c.resolution_method,
                func.count().label("incident_count"),
                _sum(c.cost_impact_micros).label("total_micros"),
            )
            .where(
                c.tenant_id == tenant,
                c.created_at >= start,
                c.created_at <= end,
                c.cost_impact_micros > 0,
            )
            .group_by(c.category, c.resolution_method)
        )

    async def metrics(
        self, tenant: str, start: datetime, now: datetime, sla_seconds: dict[str, int]
    ) -> RowMapping:
        rows = await self._all(
            _METRICS,
            tenant=tenant,
            start=start,
            now=now,
            sla_critical=Decimal(sla_seconds["critical"]),
            sla_high=Decimal(sla_seconds["high"]),
            sla_medium=Decimal(sla_seconds["medium"]),
            sla_low=Decimal(sla_seconds["low"]),
        )
        return rows[0]

    async def incident_hours(
        self,
        tenant: str,
        start: datetime,
        interior: tuple[datetime, datetime],
        end: datetime,
        by_day: bool,
    ) -> list[RowMapping]:
        """Incidents created in ``[start, end]``: whole hours of ``interior`` from the rollup,
        the edges raw; summed per UTC day (``by_day``) or per category × severity × cause."""
        low, high = interior
        statement = _BY_DAY if by_day else _BY_DIMENSION
        return await self._all(statement, tenant=tenant, low=low, high=high, start=start, end=end)

    async def cost_rows(
        self, tenant: str, table: str, column: str, low: datetime, high: datetime
    ) -> list[CostRow]:
        """Spend per combination over ``[low, high)`` of the hourly or daily rollup."""
        if low >= high:
            return []
        at = _COST_ROLLUPS.get((table, column))
        if at is None:
            raise ValueError(f"no cost rollup {table}.{column}")
        t = at.table
        query = (
            select(
                t.c.feature_tag,
                t.c.model,
                t.c.user_id,
                _sum(t.c.cost_micros).label("cost_micros"),
                _sum(t.c.request_count).label("request_count"),
            )
            .where(t.c.tenant_id == tenant, at >= low, at < high)
            .group_by(t.c.feature_tag, t.c.model, t.c.user_id)
        )
        return [CostRow(**r) for r in await self._all(query)]

    async def daily_by_dimension(
        self, tenant: str, dimension: str, low: datetime, high: datetime
    ) -> list[RowMapping]:
        if dimension not in _DIMENSIONS:
            raise ValueError(f"no cost dimension {dimension!r}")
        name = _DAILY.c[dimension]
        query = (
            select(
                name.label("name"),
                _DAILY.c.day,
                _sum(_DAILY.c.cost_micros).label("cost"),
            )
            .where(_DAILY.c.tenant_id == tenant, _DAILY.c.day >= low, _DAILY.c.day < high)
            .group_by(name, _DAILY.c.day)
        )
        return await self._all(query)

    async def first_day(self, tenant: str) -> datetime | None:
        """The tenant's first day with spend (the rollup's key order makes this one probe)."""
        value: datetime | None = await self.conn.scalar(
            select(func.min(_DAILY.c.day)).where(_DAILY.c.tenant_id == tenant)
        )
        return value

    async def item_days(self, tenant: str, low: datetime, high: datetime) -> list[RowMapping]:
        """For every feature, model and user of the tenant, in one scan of its daily rollup:
        ``dimension`` (the column), ``name``, ``first`` (first day with spend before ``high``)
        and the daily spend over ``[low, high)`` as parallel arrays ``days`` / ``costs``."""
        return await self._all(_ITEM_DAYS, tenant=tenant, low=low, high=high)

    async def tenant_hourly(self, tenant: str, low: datetime, high: datetime) -> list[RowMapping]:
        h = _HOURLY.c
        query = (
            select(h.bucket, _sum(h.cost_micros).label("cost"))
            .where(h.tenant_id == tenant, h.bucket >= low, h.bucket < high)
            .group_by(h.bucket)
        )
        return await self._all(query)

    async def tenant_daily_total(self, tenant: str, low: datetime, high: datetime) -> int:
        d = _DAILY.c
        value = await self.conn.scalar(
            select(func.coalesce(_sum(d.cost_micros), 0)).where(
                d.tenant_id == tenant, d.day >= low, d.day < high
            )
        )
        return int(value or 0)

    async def tenant_budget(self, tenant: str) -> RowMapping | None:
        b = Budget.__table__.c
        query = (
            select(b.daily_limit_micros, b.monthly_limit_micros)
            .where(b.tenant_id == tenant, b.budget_type == "tenant")
            .order_by((b.entity_id == tenant).desc())
            .limit(1)
        )
        rows = await self._all(query)
        return rows[0] if rows else None

    async def last_updated(self, job: str) -> datetime | None:
        w = AnalyticsWatermark.__table__.c
        value: datetime | None = await self.conn.scalar(select(w.advanced_at).where(w.name == job))
        return value

    async def anomalies(self, tenant: str, since: datetime, now: datetime) -> list[RowMapping]:
        """The tenant's anomalies detected in ``[since, now]``, newest first, with their incident."""
        return await self._all(_ANOMALIES, tenant=tenant, since=since, now=now)
