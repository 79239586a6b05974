"""Rollup SQL (L6). Every statement runs inside the caller's transaction on one connection.

Cost rollups advance along ``cost_events.seq``. Transactions can commit out of seq order, so the
job reads only up to a *pending* position whose allocating transactions have all finished: the
position is recorded first; on the following cycle (by then any statement that drew a seq below
the position holds a transaction id) the cycle's own xid ``X``, which is above all of theirs; and
the range is read once no transaction below ``X`` still runs: ``pg_snapshot_xmin ≥ X``, or, since
xids are cluster-wide and a long transaction in another database holds ``xmin`` back, once every
in-progress xid below ``X`` is shown by pg_stat_activity to belong to another database. (The
snapshot's ``xmax`` is not usable as ``X``: it is latest-completed + 1, which a running xid may
equal.) A transaction-scoped advisory lock lets one replica at a time run a job; the watermark and
the rollups change in the same transaction, so a crash or a second replica never counts an event
twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from guard_storage.partitions import COST_ROLLUP_WATERMARK

COST_JOB = COST_ROLLUP_WATERMARK  # ingest reads it before dropping raw partitions
INCIDENT_JOB = "incident_rollup"

_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('guard_analytics.' || $1))"
_WAIT_LOCK = "SELECT pg_advisory_xact_lock(hashtext('guard_analytics.' || $1))"

_STATE = """
INSERT INTO analytics_watermarks (name, position, advanced_at) VALUES ($1, 0, $2)
ON CONFLICT (name) DO NOTHING;
"""

_READ_STATE = (
    "SELECT position, pending_position, pending_xmax, advanced_at "
    "FROM analytics_watermarks WHERE name = $1 FOR UPDATE"
)

_SNAPSHOT = """
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax,
       coalesce(pg_sequence_last_value(pg_get_serial_sequence('cost_events', 'seq')::regclass), 0)
         AS last_seq
"""

# The cost events of {source} matching {where}, summed per hourly rollup key: the one place
# that says which key an event counts under (the incremental cycle and the rebuild both use it).
# UTC hours and days are bins of the instant counted from the epoch: ``date_bin`` is integer
# arithmetic, the same bins as ``date_trunc(…, 'UTC')`` at ~0.3 µs less per row (a rebuild
# buckets every event).
_UTC_HOUR = "date_bin('1 hour', {}, timestamptz 'epoch')"
_UTC_DAY = "date_bin('1 day', {}, timestamptz 'epoch')"
_DELTA = f"""
    SELECT tenant_id, {_UTC_HOUR.format("occurred_at")} AS bucket,
           coalesce(feature_tag, '') AS feature_tag, model, coalesce(user_id, '') AS user_id,
           sum(cost_micros)::bigint AS cost, count(*) AS n
    FROM {{source}} WHERE {{where}}
    GROUP BY 2, 1, 3, 4, 5"""  # hour first: the sort's comparisons end at an integer, not a name

_COST_DELTA_TEMPLATE = """
WITH delta AS MATERIALIZED ({delta}
), hourly AS (
    INSERT INTO cost_rollups_hourly AS r (tenant_id, bucket, feature_tag, model, user_id,
        cost_micros, request_count)
    SELECT * FROM delta ORDER BY 1, 2, 3, 4, 5  -- key order: index pages are hit in sequence
    ON CONFLICT (tenant_id, bucket, feature_tag, model, user_id) DO UPDATE SET
        cost_micros = r.cost_micros + EXCLUDED.cost_micros,
        request_count = r.request_count + EXCLUDED.request_count
    RETURNING 1
), tenant_hourly AS (
    INSERT INTO cost_rollups_tenant_hourly AS r (tenant_id, bucket, cost_micros, request_count)
    SELECT tenant_id, bucket, sum(cost), sum(n) FROM delta GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (tenant_id, bucket) DO UPDATE SET
        cost_micros = r.cost_micros + EXCLUDED.cost_micros,
        request_count = r.request_count + EXCLUDED.request_count
    RETURNING 1
), dimension_daily AS (
    INSERT INTO cost_rollups_dimension_daily AS r (tenant_id, day, dimension, value,
        cost_micros, request_count)
    {dimension_select}
    FROM {with_day}
    {dimension_group} ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, day, dimension, value) DO UPDATE SET
        cost_micros = r.cost_micros + EXCLUDED.cost_micros,
        request_count = r.request_count + EXCLUDED.request_count
    RETURNING 1
)
SELECT (SELECT count(*) FROM hourly) + (SELECT count(*) FROM tenant_hourly) AS hourly_rows,
       (SELECT count(*) FROM dimension_daily) AS daily_rows,
       (SELECT coalesce(sum(n), 0)::bigint FROM delta) AS events
"""
# One row per (tenant, day) for the total and one per feature, model and user value present.
_DIMENSION_SELECT = """SELECT tenant_id, day,
        CASE WHEN GROUPING(feature_tag) = 0 THEN 'feature_tag'
             WHEN GROUPING(model) = 0 THEN 'model'
             WHEN GROUPING(user_id) = 0 THEN 'user_id' ELSE 'tenant_id' END,
        coalesce(CASE WHEN GROUPING(feature_tag) = 0 THEN feature_tag END,
                 CASE WHEN GROUPING(model) = 0 THEN model END,
                 CASE WHEN GROUPING(user_id) = 0 THEN user_id END, ''),
        sum(cost), sum(n)"""
_DIMENSION_GROUP = (
    "GROUP BY GROUPING SETS ((tenant_id, day), (tenant_id, day, feature_tag), "
    "(tenant_id, day, model), (tenant_id, day, user_id))"
)
#: The delta's rows with their UTC day, for the per-dimension daily rollup.
_WITH_DAY = f"(SELECT *, {_UTC_DAY.format('bucket')} AS day FROM delta) AS d"
_COST_DELTA = _COST_DELTA_TEMPLATE.format(
    delta=_DELTA.format(source="cost_events", where="seq > $1 AND seq <= $2"),
    dimension_select=_DIMENSION_SELECT,
    dimension_group=_DIMENSION_GROUP,
    with_day=_WITH_DAY,
)


@dataclass(frozen=True, slots=True)
class Watermark:
    position: int
    pending_position: int | None
    pending_xmax: int | None
    advanced_at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    xmin: int
    xmax: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class DeltaResult:
    events: int
    rows_changed: int


class RollupRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn

    async def try_lock(self, job: str) -> bool:
        return bool(await self.conn.fetchval(_LOCK, job))

    async def set_work_mem(self, value: str) -> None:
        """For this transaction only: a big range aggregates in memory instead of temp files."""
        await self.conn.execute("SELECT set_config('work_mem', $1, true)", value)

    async def wait_lock(self, job: str) -> None:
        """Block until no other replica runs ``job`` (for work that must not be skipped)."""
        await self.conn.execute(_WAIT_LOCK, job)

    async def watermark(self, job: str, now: datetime) -> Watermark:
        await self.conn.execute(_STATE, job, now)
        row = await self.conn.fetchrow(_READ_STATE, job)
        assert row is not None  # inserted just above
        return Watermark(
            row["position"], row["pending_position"], row["pending_xmax"], row["advanced_at"]
        )

    async def snapshot(self) -> Snapshot:
        row = await self.conn.fetchrow(_SNAPSHOT)
        assert row is not None
        return Snapshot(row["xmin"], row["xmax"], row["last_seq"])

    async def last_seq(self) -> int:
        """How far the cost_events sequence has been handed out."""
        return int(
            await self.conn.fetchval(
                "SELECT coalesce(pg_sequence_last_value("
                "pg_get_serial_sequence('cost_events', 'seq')::regclass), 0)"
            )
        )

    async def own_xid(self) -> int:
        """This transaction's id (assigned now if need be; the cycle writes anyway)."""
        return int(await self.conn.fetchval("SELECT pg_current_xact_id()::text::bigint"))

    async def older_in_flight(self, xmax: int) -> bool:
        """Might a transaction that started before ``xmax`` still insert into this database?

        Every in-progress xid below ``xmax`` counts unless pg_stat_activity shows it belongs to
        another database (a long transaction there must not stall this one's rollups). An xid
        that cannot be attributed counts: missing a row is worse than waiting a cycle."""
        found = await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_snapshot_xip(pg_current_snapshot()) AS x(xid) "
            "WHERE x.xid < $1::bigint::text::xid8 AND NOT EXISTS ("
            " SELECT 1 FROM pg_stat_activity a WHERE a.datname <> current_database()"
            " AND a.backend_xid IS NOT NULL"
            " AND a.backend_xid::text::bigint = x.xid::text::bigint % 4294967296))",
            xmax,
        )
        return bool(found)

    async def save_watermark(self, job: str, mark: Watermark) -> None:
        await self.conn.execute(
            "UPDATE analytics_watermarks SET position = $2, pending_position = $3, "
            "pending_xmax = $4, advanced_at = $5 WHERE name = $1",
            job,
            mark.position,
            mark.pending_position,
            mark.pending_xmax,
            mark.advanced_at,
        )

    async def apply_cost_range(self, low: int, high: int) -> DeltaResult:
        """Add the events with ``low < seq ≤ high`` to the hourly and daily rollups."""
        row = await self.conn.fetchrow(_COST_DELTA, low, high)
        assert row is not None
        return DeltaResult(row["events"], row["hourly_rows"] + row["daily_rows"])


# Incidents change in place (state, severity, cost) and carry no insertion order, so a day of an
# incident rollup is recomputed from the incidents table and only differing rows are written. The
# service recomputes just the (tenant, day) pairs named by incident-change messages, through the
# (tenant_id, created_at) index; the whole table only at start-up and as a slow reconciliation.
# Every measure is keyed by the UTC day the incident was created on ("windows are created_at ≥
# now − window").
#
# Trend and distribution (one row per tenant × day × category × severity × cause): how many were
# created, their cost, how many of them are resolved and in how long.
_RESOLVED = "i.lifecycle_state = 'RESOLVED' AND i.resolved_at IS NOT NULL"
_TREND_FRESH = f"""
    SELECT i.tenant_id, date_trunc('day', i.created_at, 'UTC') AS day, i.category, i.severity,
           i.cause_type, count(*)::bigint AS created_count,
           sum(i.cost_impact_micros)::bigint AS created_cost_micros,
           count(*) FILTER (WHERE {_RESOLVED})::bigint AS resolved_count,
           coalesce(sum((extract(epoch FROM i.resolved_at - i.created_at) * 1000000)::bigint)
             FILTER (WHERE {_RESOLVED}), 0)::bigint AS resolution_us_sum
    FROM {{source}} GROUP BY 1, 2, 3, 4, 5"""

# Metrics, recurrence and cost impact (one row per tenant × UTC day × the answer's grouping).
# Exact, not sketched: durations are kept per incident as whole microseconds, so percentile_cont
# over the merged arrays equals percentile_cont over the rows.
_US = "(extract(epoch FROM {0}) * 1000000)::bigint"
_METRIC_FRESH = f"""
    SELECT i.tenant_id, date_trunc('day', i.created_at, 'UTC') AS day, i.severity,
           i.lifecycle_state, count(*)::bigint AS created_count,
           coalesce(array_agg({_US.format("i.acked_at - i.created_at")} ORDER BY i.acked_at
             - i.created_at) FILTER (WHERE i.acked_at IS NOT NULL), '{{{{}}}}') AS ack_us,
           coalesce(array_agg({_US.format("i.resolved_at - i.created_at")} ORDER BY i.resolved_at
             - i.created_at) FILTER (WHERE {_RESOLVED}), '{{{{}}}}') AS resolution_us,
           coalesce(array_agg({_US.format("i.contained_at - i.created_at")} ORDER BY
             i.contained_at - i.created_at) FILTER (WHERE i.contained_at IS NOT NULL), '{{{{}}}}')
             AS containment_us,
           coalesce(array_agg(i.created_at ORDER BY i.created_at)
             FILTER (WHERE i.lifecycle_state <> 'RESOLVED'), '{{{{}}}}') AS open_created
    FROM {{source}} GROUP BY 1, 2, 3, 4"""
_RECURRENCE_FRESH = """
    SELECT tenant_id, day, category, fingerprint, count(*)::bigint AS created_count,
           min(created_at) AS first_at, max(created_at) AS last_at,
           array_agg(created_at ORDER BY newest) FILTER (WHERE newest <= 5) AS recent_at,
           array_agg(incident_id ORDER BY newest) FILTER (WHERE newest <= 5) AS recent_ids,
           count(recurrence_of)::bigint AS reopened_count,
           coalesce(array_agg(resolution_method ORDER BY resolution_method)
             FILTER (WHERE resolution_method IS NOT NULL AND method_first = 1), '{{}}') AS methods,
           coalesce(array_agg(method_n ORDER BY resolution_method)
             FILTER (WHERE resolution_method IS NOT NULL AND method_first = 1), '{{}}')
             AS method_counts
    FROM (
        SELECT i.tenant_id, date_trunc('day', i.created_at, 'UTC') AS day, i.category,
               i.fingerprint, i.created_at, i.incident_id, i.recurrence_of, i.resolution_method,
               row_number() OVER (PARTITION BY i.tenant_id, date_trunc('day', i.created_at, 'UTC'),
                   i.category, i.fingerprint ORDER BY i.created_at DESC, i.incident_id DESC)
                 AS newest,
               row_number() OVER (PARTITION BY i.tenant_id, date_trunc('day', i.created_at, 'UTC'),
                   i.category, i.fingerprint, i.resolution_method) AS method_first,
               count(*) OVER (PARTITION BY i.tenant_id, date_trunc('day', i.created_at, 'UTC'),
                   i.category, i.fingerprint, i.resolution_method)::bigint AS method_n
        FROM {source}
    ) AS ranked GROUP BY 1, 2, 3, 4"""
_COST_FRESH = """
    SELECT i.tenant_id, date_trunc('day', i.created_at, 'UTC') AS day, i.category,
           coalesce(i.resolution_method, '') AS resolution_method,
           count(*)::bigint AS incident_count, sum(i.cost_impact_micros)::bigint AS cost_micros
    FROM {source} WHERE i.cost_impact_micros > 0 GROUP BY 1, 2, 3, 4"""
_DAILY_TABLES = (
    ("incident_rollups_daily", ("category", "severity", "cause_type"),
     ("created_count", "created_cost_micros", "resolved_count", "resolution_us_sum"),
     _TREND_FRESH),
    ("incident_rollups_metric_daily", ("severity", "lifecycle_state"),
     ("created_count", "ack_us", "resolution_us", "containment_us", "open_created"),
     _METRIC_FRESH),
    ("incident_rollups_recurrence_daily", ("category", "fingerprint"),
     ("created_count", "first_at", "last_at", "recent_at", "recent_ids", "reopened_count",
      "methods", "method_counts"),
     _RECURRENCE_FRESH),
    ("incident_rollups_cost_daily", ("category", "resolution_method"),
     ("incident_count", "cost_micros"), _COST_FRESH),
)  # fmt: skip


def _daily_refresh(
    table: str, keys: tuple[str, ...], values: tuple[str, ...], fresh: str, dirty: bool
) -> str:
    key = ", ".join(("tenant_id", "day", *keys))
    if dirty:
        prefix = (
            "dirty AS (SELECT DISTINCT t AS tenant_id, date_trunc('day', b, 'UTC') AS day "
            "FROM unnest($1::text[], $2::timestamptz[]) AS d(t, b)), "
        )
        source = (
            "dirty AS d JOIN incidents AS i ON i.tenant_id = d.tenant_id "
            "AND i.created_at >= d.day AND i.created_at < d.day + interval '1 day'"
        )
        scope = "(r.tenant_id, r.day) IN (SELECT tenant_id, day FROM dirty)"
    else:
        prefix, source, scope = "", "incidents AS i", "true"
    sets = ", ".join(f"{v} = EXCLUDED.{v}" for v in values)
    old = ", ".join(f"r.{v}" for v in values)
    new = ", ".join(f"EXCLUDED.{v}" for v in values)
    matches = " AND ".join(f"f.{k} = r.{k}" for k in ("tenant_id", "day", *keys))
    return f"""
WITH {prefix}fresh AS MATERIALIZED ({fresh.format(source=source)}
), upserted AS (
    INSERT INTO {table} AS r ({key}, {", ".join(values)}) SELECT * FROM fresh
    ON CONFLICT ({key}) DO UPDATE SET {sets}
    WHERE ({old}) IS DISTINCT FROM ({new})
    RETURNING 1
), removed AS (
    DELETE FROM {table} AS r WHERE {scope}
      AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE {matches})
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed)
"""


_WHOLE_DAILY = [_daily_refresh(t, k, v, f, dirty=False) for t, k, v, f in _DAILY_TABLES]
_SOME_DAILY = [_daily_refresh(t, k, v, f, dirty=True) for t, k, v, f in _DAILY_TABLES]


async def refresh_incident_rollups(conn: asyncpg.Connection[Any]) -> int:
    """Make the incident rollups equal the incidents table; returns rows changed."""
    changed = 0
    for statement in _WHOLE_DAILY:
        changed += int(await conn.fetchval(statement))
    return changed


async def refresh_incident_buckets(
    conn: asyncpg.Connection[Any], buckets: Sequence[tuple[str, datetime]]
) -> int:
    """Recompute the days holding the given (tenant, instant) pairs; returns rows changed."""
    if not buckets:
        return 0
    tenants, hours = list(zip(*buckets, strict=True))
    changed = 0
    for statement in _SOME_DAILY:
        changed += int(await conn.fetchval(statement, list(tenants), list(hours)))
    return changed


# Rebuild from scratch: the cost rollups are emptied, then every chunk is aggregated from the
# raw events in one set-based statement; chunks run on parallel connections. A chunk is one
# partition of cost_events (a UTC month: every rollup key, hour or day, lies in one month) and
# one share of its tenants by hash, so no two chunks write the same key and each reads only
# its own partition.
#: Largest first (the order a rebuild builds their keys in).
COST_ROLLUP_TABLES = (
    "cost_rollups_hourly",
    "cost_rollups_dimension_daily",
    "cost_rollups_tenant_hourly",
)
_REBUILD_CHUNK = (
    """
WITH delta AS MATERIALIZED ("""
    + _DELTA.replace("{where}", "seq <= $1 AND abs(hashtext(tenant_id) % $2) = $3")
    + """
), hourly AS (
    INSERT INTO cost_rollups_hourly (tenant_id, bucket, feature_tag, model, user_id,
        cost_micros, request_count)
    SELECT * FROM delta
), tenant_hourly AS (
    INSERT INTO cost_rollups_tenant_hourly (tenant_id, bucket, cost_micros, request_count)
    SELECT tenant_id, bucket, sum(cost), sum(n) FROM delta GROUP BY 1, 2
), dimension_daily AS (
    INSERT INTO cost_rollups_dimension_daily (tenant_id, day, dimension, value,
        cost_micros, request_count)
"""
    + f"""    {_DIMENSION_SELECT}
    FROM {_WITH_DAY}
    {_DIMENSION_GROUP}
)
SELECT coalesce(sum(n), 0)::bigint FROM delta
"""
)


#: Primary keys of the cost rollups: dropped while a rebuild fills the emptied tables and built
#: once at the end (one sort per table instead of millions of index insertions).
_COST_KEYS = {
    "cost_rollups_hourly": "tenant_id, bucket, feature_tag, model, user_id",
    "cost_rollups_tenant_hourly": "tenant_id, bucket",
    "cost_rollups_dimension_daily": "tenant_id, day, dimension, value",
}


async def cost_event_partitions(conn: asyncpg.Connection[Any]) -> list[str]:
    """The partitions of cost_events (the table itself when it has none)."""
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits AS h JOIN pg_class AS c ON c.oid = h.inhrelid "
        "WHERE h.inhparent = 'cost_events'::regclass ORDER BY 1"
    )
    return [r["relname"] for r in rows] or ["cost_events"]


#: Secondary indexes of the cost rollups, dropped and built again the same way.
_COST_INDEXES = {
    "ix_cost_rollups_dimension_daily_item": (
        "cost_rollups_dimension_daily (tenant_id, dimension, value, day)"
    ),
}


async def truncate_cost_rollups(conn: asyncpg.Connection[Any]) -> None:
    """Empty the cost rollups and drop their keys and indexes (:func:`restore_cost_keys` puts
    them back): a rebuild then appends rows without index insertions and builds each index
    with one sort. (Filling UNLOGGED tables and setting them LOGGED afterwards was slower here:
    the rewrite costs more than the WAL it saves, docs/benchmarks-log.md.)"""
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {', '.join(COST_ROLLUP_TABLES)}")
        for index in _COST_INDEXES:
            await conn.execute(f"DROP INDEX IF EXISTS {index}")
        for table in COST_ROLLUP_TABLES:
            await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS pk_{table}")


async def restore_cost_table(conn: asyncpg.Connection[Any], table: str, work_mem: str) -> None:
    """Build one cost rollup's key and indexes again (idempotent, so it also repairs a rebuild
    that died half way); tables are independent, so they can go in parallel."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('maintenance_work_mem', $1, true)", work_mem)
        exists = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = $1)", f"pk_{table}"
        )
        if not exists:
            await conn.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({_COST_KEYS[table]})"
            )
        for index, target in _COST_INDEXES.items():
            if target.startswith(f"{table} "):
                await conn.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {target}")


async def restore_cost_keys(conn: asyncpg.Connection[Any], work_mem: str) -> None:
    """:func:`restore_cost_table` for every cost rollup, one after the other."""
    for table in COST_ROLLUP_TABLES:
        await restore_cost_table(conn, table, work_mem)


async def rebuild_cost_chunk(
    conn: asyncpg.Connection[Any],
    partition: str,
    upto_seq: int,
    shares: int,
    share: int,
    work_mem: str,
) -> int:
    """Aggregate share ``share`` of ``shares`` (tenants by hash) of ``partition``'s events with
    ``seq ≤ upto_seq`` into the emptied rollups, in one transaction; returns events read."""
    source = '"' + partition.replace('"', '""') + '"'
    async with conn.transaction():
        await conn.execute("SELECT set_config('work_mem', $1, true)", work_mem)
        # The per-dimension sums hash four grouping sets at once; at the default multiplier (2)
        # they spilled to disk in 17 batches (~0.6 s of a 1.5M-event chunk).
        await conn.execute("SET LOCAL hash_mem_multiplier = 4")
        await conn.execute("SET LOCAL synchronous_commit = off")
        statement = _REBUILD_CHUNK.replace("{source}", source)
        return int(await conn.fetchval(statement, upto_seq, shares, share))


async def session_lock(conn: asyncpg.Connection[Any], job: str) -> None:
    """Hold ``job``'s lock for the session (the cycles' transaction locks share its key)."""
    await conn.execute("SELECT pg_advisory_lock(hashtext('guard_analytics.' || $1))", job)


async def session_unlock(conn: asyncpg.Connection[Any], job: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock(hashtext('guard_analytics.' || $1))", job)
