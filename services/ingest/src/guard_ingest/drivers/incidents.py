"""Incidents, their timeline, anomalies and budgets: locked loads and bulk writes.

A batch locks every incident it may touch in one ``FOR UPDATE`` in incident_id order, so a command
consumer and a killswitch consumer never both change one incident and never deadlock. Every lookup
names the tenant: incidents are keyed (tenant_id, incident_id) (docs/operations-scaling.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

INCIDENT_COLUMNS = (
    "incident_id", "tenant_id", "lifecycle_state", "severity", "category", "cause_type", "title",
    "description", "source_type", "fingerprint", "llm_run_id", "affected_agent_id", "policy_id",
    "trigger_type", "calls_affected", "event_count", "cost_impact_micros", "error_code",
    "error_message", "created_at", "first_event_at", "last_event_at", "acked_at", "acked_by",
    "resolved_at", "resolved_by", "resolution_method", "recurrence_of", "is_synthetic",
    "contained_at", "timeline_length", "timeline_head", "updated_at",
)  # fmt: skip
TIMELINE_COLUMNS = (
    "incident_id", "sequence", "tenant_id", "entry_type", "occurred_at", "source_event_id",
    "data", "prev_hash", "hash",
)  # fmt: skip
ANOMALY_COLUMNS = (
    "tenant_id", "event_id", "anomaly_type", "entity_type", "entity_id", "current_micros",
    "expected_micros", "deviation_pct", "threshold", "severity", "window_start", "window_end",
    "detected_at", "incident_id",
)  # fmt: skip
BUDGET_COLUMNS = (
    "tenant_id", "budget_type", "entity_id", "daily_limit_micros", "monthly_limit_micros",
    "warn_threshold_pct", "hard_limit_enabled", "event_id", "occurred_at",
)  # fmt: skip
OVERFLOW_LIKE = "rate_limit_overflow|%"

_SELECT = f"SELECT {', '.join('i.' + c for c in INCIDENT_COLUMNS)} FROM incidents i"
_UPSERT = (
    f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) "
    f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents_stage "
    "ON CONFLICT (tenant_id, incident_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in INCIDENT_COLUMNS[2:])
)


async def ids_by_fingerprint(
    conn: asyncpg.Connection[Any], keys: Sequence[tuple[str, str]]
) -> list[tuple[str, uuid.UUID]]:
    """The open incidents of each (tenant, fingerprint), plus its latest incident in any state.

    Not locked here: callers lock every id of a batch at once with :func:`lock_by_id`. Only the
    consumer of a tenant's partition creates incidents for it, so none can appear in between.
    """
    if not keys:
        return []
    rows = await conn.fetch(
        "SELECT i.tenant_id, i.incident_id FROM incidents i "
        "JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, fingerprint) "
        "ON i.tenant_id = k.tenant_id AND i.fingerprint = k.fingerprint "
        "WHERE i.lifecycle_state <> 'RESOLVED' OR i.incident_id = ("
        "  SELECT j.incident_id FROM incidents j WHERE j.tenant_id = k.tenant_id "
        "  AND j.fingerprint = k.fingerprint ORDER BY j.created_at DESC, j.incident_id DESC "
        "  LIMIT 1)",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return [(r["tenant_id"], r["incident_id"]) for r in rows]


async def lock_by_id(
    conn: asyncpg.Connection[Any], keys: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """Lock and load the incidents with these (tenant_id, incident_id) keys.

    Another tenant's id matches nothing, exactly like a missing one.
    """
    if not keys:
        return []
    rows = await conn.fetch(
        f"{_SELECT} JOIN unnest($1::text[], $2::uuid[]) AS k(tenant_id, incident_id) "
        "ON i.tenant_id = k.tenant_id AND i.incident_id = k.incident_id "
        "ORDER BY i.incident_id FOR UPDATE OF i",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return [dict(r) for r in rows]


_IDLE = f"""
WITH horizon AS (
    SELECT w.tenant_id,
           min(CASE WHEN c.topic IS NULL THEN w.stream_time ELSE $3::timestamptz END)
             - $4::interval AS horizon
    FROM ingest_watermarks w
    LEFT JOIN unnest($1::text[], $2::int[]) AS c(topic, kafka_partition)
      ON c.topic = w.topic AND c.kafka_partition = w.kafka_partition
    GROUP BY w.tenant_id
), due AS (
    SELECT i.tenant_id, i.incident_id,
           coalesce(h.horizon, CASE WHEN $5::boolean THEN $3::timestamptz - $4::interval END)
             AS horizon
    FROM incidents i LEFT JOIN horizon h ON h.tenant_id = i.tenant_id
    WHERE i.lifecycle_state IN ('ACTIVE', 'ACKED')
)
SELECT {", ".join("i." + c for c in INCIDENT_COLUMNS)}, d.horizon
FROM incidents i JOIN due d ON d.tenant_id = i.tenant_id AND d.incident_id = i.incident_id
WHERE i.lifecycle_state IN ('ACTIVE', 'ACKED') AND i.last_event_at + CASE
    WHEN i.source_type = 'cost_anomaly' THEN $7::interval ELSE $6::interval END < d.horizon
ORDER BY i.last_event_at, i.incident_id LIMIT $8 FOR UPDATE OF i SKIP LOCKED
"""


async def lock_idle(
    conn: asyncpg.Connection[Any],
    *,
    caught_up: Sequence[tuple[str, int]],
    all_caught_up: bool,
    now: datetime,
    lateness: timedelta,
    idle_timeout: timedelta,
    anomaly_timeout: timedelta,
    limit: int,
) -> list[dict[str, Any]]:
    """Open incidents whose deadline (last event + timeout) lies before their tenant's horizon.

    horizon = the minimum, over the topics the tenant has events on, of ``now`` when the tenant's
    partition of that topic is in ``caught_up``, else the tenant's stream time on that topic; minus
    the allowed lateness. A tenant with no stream time yet uses ``now`` only when
    ``all_caught_up``. Each row carries its ``horizon``. SKIP LOCKED so replicas share the sweep.
    See docs/adr/0001-event-time-idle-sweep.md.
    """
    rows = await conn.fetch(
        _IDLE,
        [c[0] for c in caught_up],
        [c[1] for c in caught_up],
        now,
        lateness,
        all_caught_up,
        idle_timeout,
        anomaly_timeout,
        limit,
    )
    return [dict(r) for r in rows]


async def opened_per_hour(
    conn: asyncpg.Connection[Any], keys: Sequence[tuple[str, datetime]]
) -> dict[tuple[str, datetime], int]:
    """Incidents opened from killswitch events per (tenant, UTC hour), overflow excluded."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT k.tenant_id, k.hour, count(i.incident_id) AS n "
        "FROM unnest($1::text[], $2::timestamptz[]) AS k(tenant_id, hour) "
        "JOIN incidents i ON i.tenant_id = k.tenant_id AND i.created_at >= k.hour "
        "AND i.created_at < k.hour + interval '1 hour' AND i.source_type = 'killswitch' "
        "AND i.fingerprint NOT LIKE $3 GROUP BY k.tenant_id, k.hour",
        [k[0] for k in keys],
        [k[1] for k in keys],
        OVERFLOW_LIKE,
    )
    return {(r["tenant_id"], r["hour"]): int(r["n"]) for r in rows}


async def upsert_incidents(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY into the per-connection staging table, then one INSERT … ON CONFLICT DO UPDATE."""
    if rows:
        await conn.copy_records_to_table("incidents_stage", records=rows, columns=INCIDENT_COLUMNS)
        await conn.execute(_UPSERT)
        await conn.execute("TRUNCATE incidents_stage")


async def insert_timeline(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    # A (tenant_id, incident_id, sequence) clash means another writer forked the chain: fail the batch.
    if rows:
        await conn.copy_records_to_table("incident_events", records=rows, columns=TIMELINE_COLUMNS)


async def insert_anomalies(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        await conn.copy_records_to_table("cost_anomalies", records=rows, columns=ANOMALY_COLUMNS)


async def upsert_budgets(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    """Keep the latest ``budget.set`` per (tenant, type, entity) by event time."""
    if not rows:
        return
    placeholders = ", ".join(f"${n}" for n in range(1, len(BUDGET_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in BUDGET_COLUMNS[3:])
    await conn.executemany(
        f"INSERT INTO budgets ({', '.join(BUDGET_COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (tenant_id, budget_type, entity_id) DO UPDATE SET {updates}, "
        "updated_at = now() WHERE budgets.occurred_at <= EXCLUDED.occurred_at",
        rows,
    )
