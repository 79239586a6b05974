"""Analytics reads (L6): incidents in a window, incident and cost rollups, anomalies, budgets.

Windowed answers read the rollups for the whole hours (or days) inside the window and the raw
table only for the partial hours at its two edges, so their cost does not grow with raw events.

Statements composed per request are SQLAlchemy Core over the storage metadata. The four fixed
analytical statements (rollup + edges, grouping sets, percentiles, the anomaly join) are constant
``text()`` with bound parameters: nothing in them is assembled from request input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from asyncpg import Record
from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_storage.models.ingest import Incident

_I = Incident.__table__
_DAY = timedelta(days=1)


def _midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def day_interior(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days inside ``[start, end]`` as ``[low, high)`` (empty: ``low == high``)."""
    low = _midnight(start)
    low = low if low == start else low + _DAY
    high = _midnight(end)
    return (min(low, high), high)


# The incidents created in the window's partial days at either edge: two index range scans, so
# that a generic plan (one prepared plan for every tenant, chosen after five runs) also reads only
# the edges; one condition with an OR let it scan the tenant's whole window and filter (22 ms
# instead of 2 for cost impact of a large tenant). ``low <= high`` (day_interior), so the two
# ranges never overlap, and both keep ``[start, end]``.
_EDGE_INCIDENTS = """(
    SELECT * FROM incidents WHERE tenant_id = :tenant
      AND created_at >= :start AND created_at < :low AND created_at <= :end
    UNION ALL
    SELECT * FROM incidents WHERE tenant_id = :tenant
      AND created_at >= :high AND created_at >= :start AND created_at <= :end
)"""


#: When the ``:job`` snapshot last advanced (the answers' ``last_updated``).
_WATERMARK = "(SELECT advanced_at FROM analytics_watermarks WHERE name = :job)"


def _with_last_updated(grouped: str) -> str:
    """Every row of ``grouped`` with when the ``:job`` snapshot last advanced, in the same round
    trip (a separate statement was ~10 % of a trend answer's gateway CPU). With no rows,
    ``grouped`` still yields one row: NULLs and ``last_updated`` (see ``_split_last_updated``)."""
    return f"""
SELECT g.*, w.advanced_at AS last_updated
FROM (SELECT {_WATERMARK} AS advanced_at) AS w
LEFT JOIN ({grouped}) AS g ON true
"""


def _split_last_updated(rows: Sequence[Record], key: str) -> tuple[list[Record], datetime | None]:
    """The rows of a ``_with_last_updated`` statement (without the NULL row) and the watermark."""
    return [r for r in rows if r[key] is not None], rows[0]["last_updated"]


def _incident_parts(select_list: str, group: str) -> TextClause:
    # Whole UTC days of the window come from the daily rollup, the partial days at its two edges
    # from the incidents themselves; Postgres sums them per day (trends) or per dimension
    # (distribution), so a year's window reads at most 365 days of rollup rows.
    return text(
        _with_last_updated(f"""
WITH parts AS (
    SELECT day AS at, category, severity, cause_type, created_count AS n,
           created_cost_micros AS cost, resolved_count AS rn, resolution_us_sum AS rus
    FROM incident_rollups_daily WHERE tenant_id = :tenant AND day >= :low AND day < :high
    UNION ALL
    SELECT created_at, category, severity, cause_type, 1, cost_impact_micros,
           (lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL)::int,
           CASE WHEN lifecycle_state = 'RESOLVED' AND resolved_at IS NOT NULL
                THEN (extract(epoch FROM resolved_at - created_at) * 1000000)::bigint ELSE 0 END
    FROM {_EDGE_INCIDENTS} AS edge
)
SELECT {select_list}, sum(n)::bigint AS created_count, sum(cost)::bigint AS cost_micros,
       sum(rn)::bigint AS resolved_count, sum(rus)::bigint AS resolution_us_sum
FROM parts GROUP BY {group}
""")
    )


_BY_DAY = _incident_parts(
    "date_trunc('day', at, 'UTC') AS day, '' AS category, '' AS severity, '' AS cause_type", "1"
)
_BY_DIMENSION = _incident_parts(
    "CAST(:low AS timestamptz) AS day, category, severity, cause_type", "2, 3, 4"
)

# Metrics, recurrence and cost impact read the daily incident rollups for the whole UTC days
# inside the window and the incidents themselves for the partial days at its edges, aggregated
# into the rollup's own shape, so both halves merge the same way. Durations are whole
# microseconds, and every aggregate stays on integers until its end (a numeric per element was
# ~40 % of a large tenant's answer), with the answer unchanged digit for digit:
# - an average is ``round(sum(us) / 1000.0, 6) / count``: the scale-6 numeric sum and the division
#   that ``avg`` over the exact millisecond values (``round(us / 1000.0, 6)``) performs;
# - a percentile orders ``us::float8 / 1000``: IEEE division is correctly rounded, so it is the
#   same double as the exact millisecond value cast to float8, which ``percentile_cont`` used;
# - an SLA target is compared in whole microseconds (targets are whole seconds), in the pass
#   that orders the resolution times (three subqueries per day part took 23 of a large
#   tenant's 65 ms).
_US = "(extract(epoch FROM {0}) * 1000000)::bigint"
_EDGES = f"FROM {_EDGE_INCIDENTS} AS i WHERE true"
_METRIC_PARTS = f"""
WITH parts AS (
    SELECT d.*, t.target_s, (t.target_s * 1000000)::bigint AS target_us
    FROM (
        SELECT severity, lifecycle_state, created_count AS n, ack_us, resolution_us,
               containment_us, open_created
        FROM incident_rollups_metric_daily
        WHERE tenant_id = :tenant AND day >= :low AND day < :high
        UNION ALL
        SELECT i.severity, i.lifecycle_state, count(*),
               coalesce(array_agg({_US.format("i.acked_at - i.created_at")})
                 FILTER (WHERE i.acked_at IS NOT NULL), '{{}}'),
               coalesce(array_agg({_US.format("i.resolved_at - i.created_at")})
                 FILTER (WHERE i.lifecycle_state = 'RESOLVED' AND i.resolved_at IS NOT NULL),
                 '{{}}'),
               coalesce(array_agg({_US.format("i.contained_at - i.created_at")})
                 FILTER (WHERE i.contained_at IS NOT NULL), '{{}}'),
               coalesce(array_agg(i.created_at) FILTER (WHERE i.lifecycle_state <> 'RESOLVED'),
                        '{{}}')
        {_EDGES}
        GROUP BY 1, 2
    ) AS d, LATERAL (
        SELECT CASE d.severity WHEN 'critical' THEN CAST(:sla_critical AS numeric)
                WHEN 'high' THEN CAST(:sla_high AS numeric)
                WHEN 'medium' THEN CAST(:sla_medium AS numeric)
                ELSE CAST(:sla_low AS numeric) END AS target_s
    ) AS t
)"""
_METRICS = text(
    _METRIC_PARTS
    + """, ack AS (
    SELECT round(sum(u) / 1000.0, 6) / nullif(count(*), 0) AS a,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY u::float8 / 1000) AS m,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY u::float8 / 1000) AS p90
    FROM parts, unnest(parts.ack_us) AS u
), res AS (
    SELECT round(sum(u) / 1000.0, 6) / nullif(count(*), 0) AS a,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY u::float8 / 1000) AS m,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY u::float8 / 1000) AS p90,
           count(*) FILTER (WHERE u <= p.target_us) AS met,
           count(*) FILTER (WHERE u > p.target_us) AS late
    FROM parts AS p, unnest(p.resolution_us) AS u
), con AS (
    SELECT round(sum(u) / 1000.0, 6) / nullif(count(*), 0) AS a,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY u::float8 / 1000) AS m
    FROM parts, unnest(parts.containment_us) AS u
), overdue AS (
    SELECT count(*) AS n FROM parts AS p, unnest(p.open_created) AS c
    WHERE extract(epoch FROM CAST(:end AS timestamptz) - c) * 1000 > p.target_s * 1000
), sla AS (
    SELECT res.met::bigint AS met, (res.late + overdue.n)::bigint AS breached FROM res, overdue
), counts AS (
    SELECT coalesce(sum(n), 0)::bigint AS total_count,
           coalesce(sum(n) FILTER (WHERE lifecycle_state = ANY (CAST(:open_states AS text[]))),
                    0)::bigint AS active_count,
           coalesce(sum(n) FILTER (WHERE lifecycle_state = 'ACKED'), 0)::bigint AS acked_count,
           coalesce(sum(n) FILTER (WHERE lifecycle_state = 'RESOLVED'), 0)::bigint
             AS resolved_count,
           coalesce(sum(n) FILTER (WHERE severity = 'critical'), 0)::bigint AS critical_count,
           coalesce(sum(n) FILTER (WHERE severity = 'high'), 0)::bigint AS high_count,
           coalesce(sum(n) FILTER (WHERE severity = 'medium'), 0)::bigint AS medium_count,
           coalesce(sum(n) FILTER (WHERE severity = 'low'), 0)::bigint AS low_count
    FROM parts
)
SELECT counts.*, ack.a AS ack_avg, ack.m AS ack_median, ack.p90 AS ack_p90,
       res.a AS res_avg, res.m AS res_median, res.p90 AS res_p90,
       con.a AS con_avg, con.m AS con_median, sla.met AS sla_met, sla.breached AS sla_breached
FROM counts, ack, res, con, sla
"""
)

# Only the groups the answer lists are folded in full. ``top`` ranks every group by its total
# (one hash aggregate over the day parts: the order of the answer, names compared by code point as
# Python compares them) and keeps ``limit``; ``chosen`` is the day parts of those groups alone, and
# only they are unnested and folded for their days, newest incidents and most common method. Over
# 90 days the largest benchmark tenant has 1,000 groups in 23,000 day parts, and folding all of
# them took 128-269 ms against 39-67 ms for the 20 listed (docs/benchmarks-log.md, sixth session).
# - Narrow ranking: ``ranked`` keeps only each rollup row's group, count and tuple id (``ctid``),
#   and ``chosen`` fetches the listed groups' rows by tuple id (a TID scan, in this statement's
#   snapshot, so the same row versions). Materialising the whole rows (their arrays of recent
#   incidents and methods) for 23,000 parts cost ~12 ms more than the ranking itself
#   (docs/benchmarks-log.md, ninth session). The partial days at the edges (``edge``) are few
#   and are kept whole.
# - No join: a generic plan (a prepared statement's plan after five runs, costed for an average
#   tenant) nests a join's loops, and matching 20 groups against 23,000 parts that way took 90 ms.
#   ``chosen`` instead takes the parts whose fingerprint is one of the listed ones (an array
#   computed once), and the final HAVING drops a group that only shares a listed fingerprint.
# - One stream: the parts, their newest incidents (unnested) and their per-method counts (summed
#   per group first) go into one stream that a single GROUP BY folds. The most common method is
#   the highest count, then the smallest name. A day part usually holds one incident: its single
#   method and recent id are read as array elements, and only the parts with more are unnested.
_RECURRENCE = text(
    f"""
WITH ranked AS MATERIALIZED (
    SELECT ctid AS tid, category, fingerprint, created_count AS n
    FROM incident_rollups_recurrence_daily
    WHERE tenant_id = :tenant AND day >= :low AND day < :high
), edge AS MATERIALIZED (
    SELECT date_trunc('day', i.created_at, 'UTC') AS day, i.category, i.fingerprint, 1 AS n,
           i.created_at AS first_at, i.created_at AS last_at, ARRAY[i.created_at] AS recent_at,
           ARRAY[i.incident_id] AS recent_ids, (i.recurrence_of IS NOT NULL)::int AS reopened_count,
           CASE WHEN i.resolution_method IS NULL THEN '{{}}'::text[]
                ELSE ARRAY[i.resolution_method::text] END AS methods,
           CASE WHEN i.resolution_method IS NULL THEN '{{}}'::bigint[] ELSE ARRAY[1::bigint] END
             AS method_counts
    {_EDGES}
), top AS (
    SELECT category, fingerprint FROM (
        SELECT category, fingerprint, n FROM ranked
        UNION ALL
        SELECT category, fingerprint, n FROM edge
    ) AS parts
    GROUP BY 1, 2
    HAVING sum(n) >= :threshold
    ORDER BY sum(n) DESC, category COLLATE "C", fingerprint COLLATE "C"
    LIMIT :limit
), chosen AS MATERIALIZED (
    SELECT day, category, fingerprint, created_count AS n, first_at, last_at, recent_at,
           recent_ids, reopened_count, methods, method_counts
    FROM incident_rollups_recurrence_daily
    WHERE ctid = ANY (ARRAY(
        SELECT tid FROM ranked WHERE fingerprint = ANY (ARRAY(SELECT fingerprint FROM top))
    ))
    UNION ALL
    SELECT * FROM edge WHERE fingerprint = ANY (ARRAY(SELECT fingerprint FROM top))
), method_totals AS (
    SELECT category, fingerprint, method, sum(c) AS c FROM (
        SELECT category, fingerprint, methods[1] AS method, method_counts[1] AS c
        FROM chosen WHERE cardinality(methods) = 1
        UNION ALL
        SELECT p.category, p.fingerprint, m.method, m.c
        FROM chosen AS p, unnest(p.methods, p.method_counts) AS m(method, c)
        WHERE cardinality(p.methods) > 1
    ) AS m
    GROUP BY 1, 2, 3
), stream AS (
    SELECT category, fingerprint, day, n, first_at, last_at, reopened_count AS reopened,
           NULL::timestamptz AS at, NULL::uuid AS id, NULL::text AS method, NULL::numeric AS c
    FROM chosen
    UNION ALL
    SELECT category, fingerprint, NULL, 0, NULL, NULL, 0, recent_at[1], recent_ids[1], NULL, NULL
    FROM chosen WHERE cardinality(recent_ids) = 1
    UNION ALL
    SELECT p.category, p.fingerprint, NULL, 0, NULL, NULL, 0, r.at, r.id, NULL, NULL
    FROM chosen AS p, unnest(p.recent_at, p.recent_ids) AS r(at, id)
    WHERE cardinality(p.recent_ids) > 1
    UNION ALL
    SELECT category, fingerprint, NULL, 0, NULL, NULL, 0, NULL, NULL, method, c
    FROM method_totals
)
SELECT category, fingerprint, sum(n)::bigint AS total, count(DISTINCT day) AS distinct_days,
       min(first_at) AS first_at, max(last_at) AS last_at,
       (array_agg(id ORDER BY at DESC, id DESC) FILTER (WHERE id IS NOT NULL))[1:5]
         AS recent_ids,
       sum(reopened)::bigint AS reopened,
       (array_agg(method ORDER BY c DESC, method) FILTER (WHERE method IS NOT NULL))[1]
         AS common_method
FROM stream
GROUP BY 1, 2
HAVING (category, fingerprint) = ANY (ARRAY(SELECT (category, fingerprint) FROM top))
"""
)

# Patterns group the window's incidents in PostgreSQL and send each type's ``limit`` largest
# groups with their newest ids, not every incident: the largest benchmark tenant has ~2,000
# incidents in a week, which the gateway used to decode and group itself.
# Dimensions rank by code point, as the engine ranks them. Spike severities and open states are
# the engine's (PatternGroup), passed in by the adapter.
_PATTERN_GROUPS = text(
    """
WITH w AS MATERIALIZED (
    SELECT incident_id, created_at, category, severity, lifecycle_state, llm_run_id
    FROM incidents WHERE tenant_id = :tenant AND created_at >= :start AND created_at <= :end
), members AS (
    SELECT 'category_cluster' AS pattern_type, category::text AS dimension, incident_id,
           created_at
    FROM w
    UNION ALL
    SELECT 'severity_spike', severity::text, incident_id, created_at FROM w
    WHERE severity = ANY (CAST(:spike_severities AS text[]))
      AND lifecycle_state = ANY (CAST(:open_states AS text[])) AND created_at >= :spike_from
    UNION ALL
    SELECT 'cascade_failure', llm_run_id::text, incident_id, created_at FROM w
    WHERE llm_run_id <> ''
), groups AS (
    SELECT pattern_type, dimension, count(*) AS count,
           (array_agg(incident_id ORDER BY created_at DESC, incident_id DESC))[1:CAST(:ids AS int)]
             AS incident_ids,
           row_number() OVER (PARTITION BY pattern_type
                              ORDER BY count(*) DESC, dimension COLLATE "C") AS rank
    FROM members
    GROUP BY 1, 2
)
SELECT a.analyzed, g.pattern_type, g.dimension, g.count, g.incident_ids
FROM (SELECT count(*) AS analyzed FROM w) AS a
LEFT JOIN (SELECT * FROM groups WHERE rank <= :limit) AS g ON true
"""
)

_COST_IMPACT = text(
    f"""
SELECT category, nullif(resolution_method, '') AS resolution_method,
       sum(n)::bigint AS incident_count, sum(cost)::bigint AS total_micros
FROM (
    SELECT category, resolution_method, incident_count AS n, cost_micros AS cost
    FROM incident_rollups_cost_daily WHERE tenant_id = :tenant AND day >= :low AND day < :high
    UNION ALL
    SELECT i.category, coalesce(i.resolution_method, ''), 1, i.cost_impact_micros
    {_EDGES} AND i.cost_impact_micros > 0
) AS parts
GROUP BY 1, 2
"""
)

# Spend per dimension value: whole days from the dimension rollup, the hours at the edges from
# the hourly rollup summed per dimension in PostgreSQL; ``tenant_id`` rows carry the total.
# Only the candidates for the lists come back, each with its baseline's inputs, in the same round
# trip (two statements and a baseline built day by day in Python were ~60 % of the gateway's CPU
# per answer, docs/benchmarks-log.md, eighth session):
# - a candidate has fewer than ``:top`` values of its dimension with strictly more spend
#   (``rank``), so every item the engine lists (spend desc, then name, at most ``:top``) is one
#   of them; the engine still does the ranking, ties at the cut included;
# - its first day with spend before ``:base_high`` and its spend over ``[:base_low, :base_high)``:
#   two probes of the (tenant, dimension, value, day) index, per candidate, not per value.
# The window's four instants are read through scalar sub-selects, which a custom plan cannot see
# into either: otherwise "today" (no whole day, an empty daily range the planner sees) is costed
# far below the generic plan and re-planned at every execution, 0.5-0.8 ms of PostgreSQL CPU for
# a 0.15 ms answer, where now the prepared statement settles on its generic plan after five runs
# (as 7d and 30d already did).
_WINDOW = {
    name: f"(SELECT CAST(:{name} AS timestamptz))" for name in ("start", "end", "low", "high")
}
_EXPLAINED_SPEND = text(
    _with_last_updated(f"""
WITH spend AS (
    SELECT dimension, value, sum(cost)::bigint AS cost_micros, sum(n)::bigint AS request_count
    FROM (
        SELECT dimension, value, cost_micros AS cost, request_count AS n
        FROM cost_rollups_dimension_daily
        WHERE tenant_id = :tenant AND day >= {_WINDOW["low"]} AND day < {_WINDOW["high"]}
        UNION ALL
        SELECT CASE WHEN GROUPING(feature_tag) = 0 THEN 'feature_tag'
                    WHEN GROUPING(model) = 0 THEN 'model'
                    WHEN GROUPING(user_id) = 0 THEN 'user_id' ELSE 'tenant_id' END,
               coalesce(CASE WHEN GROUPING(feature_tag) = 0 THEN feature_tag END,
                        CASE WHEN GROUPING(model) = 0 THEN model END,
                        CASE WHEN GROUPING(user_id) = 0 THEN user_id END, ''),
               sum(cost_micros), sum(request_count)
        FROM cost_rollups_hourly
        WHERE tenant_id = :tenant
          AND ((bucket >= {_WINDOW["start"]} AND bucket < {_WINDOW["low"]})
               OR (bucket >= {_WINDOW["high"]} AND bucket < {_WINDOW["end"]}))
        GROUP BY GROUPING SETS ((), (feature_tag), (model), (user_id)) HAVING count(*) > 0
    ) AS parts
    GROUP BY 1, 2
), candidates AS (
    SELECT * FROM (
        SELECT spend.*,
               rank() OVER (PARTITION BY dimension ORDER BY cost_micros DESC) AS place
        FROM spend
    ) AS ranked
    WHERE dimension = 'tenant_id' OR place <= :top
)
SELECT c.dimension, c.value, c.cost_micros, c.request_count, f.first_day, b.base_micros
FROM candidates AS c
CROSS JOIN LATERAL (
    SELECT min(day) AS first_day FROM cost_rollups_dimension_daily AS d
    WHERE d.tenant_id = :tenant AND d.dimension = c.dimension AND d.value = c.value
      AND d.day < :base_high
) AS f
CROSS JOIN LATERAL (
    SELECT coalesce(sum(cost_micros), 0)::bigint AS base_micros
    FROM cost_rollups_dimension_daily AS d
    WHERE d.tenant_id = :tenant AND d.dimension = c.dimension AND d.value = c.value
      AND d.day >= :base_low AND d.day < :base_high
) AS b
""")
)


@dataclass(frozen=True, slots=True)
class _Raw:
    """A constant statement compiled once for asyncpg: its ``$n`` text and its bind names in
    ``$n`` order. Run straight on the request's asyncpg connection, it skips SQLAlchemy's
    per-execution work (~300 us of the explanation's gateway CPU, a sixth of the other answers',
    docs/benchmarks-log.md, eighth session); the connection is in autocommit
    (drivers.database), as under SQLAlchemy."""

    text: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: TextClause) -> _Raw:
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        return cls(compiled.string, tuple(compiled.positiontup or ()))


#: This module's statements, each compiled on its first use (keyed by the statement object, a
#: module constant).
_COMPILED: dict[int, _Raw] = {}

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


# The cost summary's inputs in one statement (one round trip instead of seven): today's spend so
# far from the tenant-hourly rollup, the month before today and the last 30 days per day from the
# dimension-daily rollup's tenant rows, the last 7 days per hour, the tenant's first day with
# spend, its tenant budget and when the cost snapshot last advanced.
_SUMMARY = text(
    f"""
SELECT
    (SELECT coalesce(sum(cost_micros), 0)::bigint FROM cost_rollups_tenant_hourly
     WHERE tenant_id = :tenant AND bucket >= :midnight AND bucket < :end) AS today_micros,
    (SELECT coalesce(sum(cost_micros), 0)::bigint FROM cost_rollups_dimension_daily
     WHERE tenant_id = :tenant AND dimension = 'tenant_id'
       AND day >= :month_start AND day < :midnight) AS month_before_today_micros,
    (SELECT min(day) FROM cost_rollups_dimension_daily
     WHERE tenant_id = :tenant AND dimension = 'tenant_id') AS first_day,
    d.days AS daily_days, d.costs AS daily_costs,
    h.buckets AS hourly_buckets, h.costs AS hourly_costs,
    b.daily_limit_micros, b.monthly_limit_micros,
    {_WATERMARK} AS last_updated
FROM (
    SELECT coalesce(array_agg(day), '{{}}') AS days, coalesce(array_agg(cost_micros), '{{}}') AS costs
    FROM cost_rollups_dimension_daily
    WHERE tenant_id = :tenant AND dimension = 'tenant_id' AND day >= :daily_low AND day < :midnight
) AS d
CROSS JOIN (
    SELECT coalesce(array_agg(bucket), '{{}}') AS buckets,
           coalesce(array_agg(cost_micros), '{{}}') AS costs
    FROM cost_rollups_tenant_hourly
    WHERE tenant_id = :tenant AND bucket >= :hourly_low AND bucket < :midnight
) AS h
LEFT JOIN LATERAL (
    SELECT daily_limit_micros, monthly_limit_micros FROM budgets
    WHERE tenant_id = :tenant AND budget_type = 'tenant'
    ORDER BY (entity_id = :tenant) DESC LIMIT 1
) AS b ON true
"""
)


_LAST_UPDATED = text(f"SELECT {_WATERMARK}")


@dataclass(frozen=True, slots=True)
class SummaryInputs:
    """What the cost summary is computed from (micro-dollars; days and hours are UTC)."""

    today_micros: int
    month_before_today_micros: int
    first_day: datetime | None
    daily: dict[datetime, int]  # the last 30 whole days, days with spend only
    hourly: dict[datetime, int]  # the last 7 whole days per hour, hours with spend only
    daily_limit_micros: int | None
    monthly_limit_micros: int | None
    last_updated: datetime | None


@dataclass(frozen=True, slots=True)
class DimensionSpend:
    """Spend of one value of one dimension (``tenant_id`` with value '' = the total), with its
    first day with spend before the baseline's end (None: none) and its spend over the
    baseline's days."""

    dimension: str
    value: str
    cost_micros: int
    request_count: int
    first_day: datetime | None
    baseline_micros: int


class AnalyticsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _all(self, statement: TextClause, **params: Any) -> list[Record]:
        """``statement`` (compiled for asyncpg once per process) straight through asyncpg."""
        compiled = _COMPILED.get(id(statement))
        if compiled is None:
            compiled = _COMPILED[id(statement)] = _Raw.of(statement)
        raw = (await self.conn.get_raw_connection()).driver_connection
        assert raw is not None
        records: list[Record] = await raw.fetch(
            compiled.text, *[params[name] for name in compiled.names]
        )
        return records

    async def _days(
        self, statement: Any, start: datetime, end: datetime, **params: Any
    ) -> list[Record]:
        """Run a whole-days-plus-edges statement over incidents created in ``[start, end]``."""
        low, high = day_interior(start, end)
        return await self._all(statement, start=start, end=end, low=low, high=high, **params)

    async def pattern_groups(
        self,
        tenant: str,
        start: datetime,
        end: datetime,
        *,
        spike_from: datetime,
        spike_severities: Sequence[str],
        open_states: Sequence[str],
        ids: int,
        limit: int,
    ) -> tuple[int, list[Record]]:
        """The incidents created in ``[start, end]``: how many, and each pattern type's ``limit``
        largest groups with their ``ids`` newest incident ids (a severity spike: open incidents
        of ``spike_severities`` created from ``spike_from``)."""
        rows = await self._all(
            _PATTERN_GROUPS,
            tenant=tenant,
            start=start,
            end=end,
            spike_from=spike_from,
            spike_severities=list(spike_severities),
            open_states=list(open_states),
            ids=ids,
            limit=limit,
        )
        return rows[0]["analyzed"], [r for r in rows if r["pattern_type"] is not None]

    async def recurrence_groups(
        self, tenant: str, start: datetime, end: datetime, threshold: int, limit: int
    ) -> list[Record]:
        """The ``limit`` (category, fingerprint) groups of the window with the most incidents, at
        least ``threshold`` each (ties: category, then fingerprint, by code point)."""
        rows: list[Record] = await self._days(
            _RECURRENCE, start, end, tenant=tenant, threshold=threshold, limit=limit
        )
        return rows

    async def cost_impact(self, tenant: str, start: datetime, end: datetime) -> list[Record]:
        rows: list[Record] = await self._days(_COST_IMPACT, start, end, tenant=tenant)
        return rows

    async def metrics(
        self,
        tenant: str,
        start: datetime,
        now: datetime,
        sla_seconds: dict[str, int],
        open_states: Sequence[str],
    ) -> Record:
        """Counts, durations and SLA of the incidents created in ``[start, now]``; those in
        ``open_states`` count as active."""
        rows = await self._days(
            _METRICS,
            start,
            now,
            tenant=tenant,
            open_states=list(open_states),
            sla_critical=Decimal(sla_seconds["critical"]),
            sla_high=Decimal(sla_seconds["high"]),
            sla_medium=Decimal(sla_seconds["medium"]),
            sla_low=Decimal(sla_seconds["low"]),
        )
        row: Record = rows[0]
        return row

    async def incident_days(
        self, tenant: str, start: datetime, end: datetime, by_day: bool, job: str
    ) -> tuple[list[Record], datetime | None]:
        """Incidents created in ``[start, end]``: whole UTC days from the daily rollup, the edges
        raw; summed per UTC day (``by_day``) or per category × severity × cause; and when the
        ``job`` snapshot last advanced."""
        statement = _BY_DAY if by_day else _BY_DIMENSION
        rows = await self._days(statement, start, end, tenant=tenant, job=job)
        return _split_last_updated(rows, "created_count")

    async def explained_spend(
        self,
        tenant: str,
        start: datetime,
        end: datetime,
        baseline: tuple[datetime, datetime],
        top: int,
        job: str,
    ) -> tuple[list[DimensionSpend], datetime | None]:
        """Spend per dimension value over the whole hours ``[start, end)``: whole UTC days from
        the dimension rollup, the hours at either edge from the hourly rollup; only the values
        with fewer than ``top`` values of their dimension spending strictly more (and the
        ``tenant_id`` total), each with its first day with spend before ``baseline[1]`` and its
        spend over the days ``[baseline[0], baseline[1])``; and when the ``job`` snapshot last
        advanced."""
        if start >= end:
            return [], await self.last_updated(job)
        today = _midnight(end - timedelta(microseconds=1))  # the day of the last hour
        day_low, day_high = day_interior(start, today)
        if day_low >= day_high:
            day_low = day_high = start  # no whole day before today: every hour from hourly
        rows = await self._all(
            _EXPLAINED_SPEND,
            tenant=tenant,
            start=start,
            end=end,
            low=day_low,
            high=day_high,
            base_low=baseline[0],
            base_high=baseline[1],
            top=top,
            job=job,
        )
        found, last = _split_last_updated(rows, "dimension")
        spend = [
            DimensionSpend(
                r["dimension"],
                r["value"],
                r["cost_micros"],
                r["request_count"],
                r["first_day"],
                r["base_micros"],
            )
            for r in found
        ]
        return spend, last

    async def summary_inputs(
        self,
        tenant: str,
        midnight: datetime,
        end: datetime,
        month_start: datetime,
        job: str,
    ) -> SummaryInputs:
        """Everything ``/guard/costs/summary`` reads, in one round trip (see ``_SUMMARY``)."""
        params = {
            "tenant": tenant,
            "midnight": midnight,
            "end": end,
            "month_start": month_start,
            "daily_low": midnight - timedelta(days=30),
            "hourly_low": midnight - timedelta(days=7),
            "job": job,
        }
        (row,) = await self._all(_SUMMARY, **params)
        return SummaryInputs(
            today_micros=int(row["today_micros"]),
            month_before_today_micros=int(row["month_before_today_micros"]),
            first_day=row["first_day"],
            daily=dict(zip(row["daily_days"], row["daily_costs"], strict=True)),
            hourly=dict(zip(row["hourly_buckets"], row["hourly_costs"], strict=True)),
            daily_limit_micros=row["daily_limit_micros"],
            monthly_limit_micros=row["monthly_limit_micros"],
            last_updated=row["last_updated"],
        )

    async def last_updated(self, job: str) -> datetime | None:
        (row,) = await self._all(_LAST_UPDATED, job=job)
        value: datetime | None = row[0]
        return value

    async def anomalies(self, tenant: str, since: datetime, now: datetime) -> list[Record]:
        """The tenant's anomalies detected in ``[since, now]``, newest first, with their incident."""
        return await self._all(_ANOMALIES, tenant=tenant, since=since, now=now)
