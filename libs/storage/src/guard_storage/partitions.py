"""Time partitions of ``cost_events`` (docs/operations-scaling.md).

``cost_events`` is range-partitioned by ``occurred_at``, one partition per UTC month named
``cost_events_pYYYYMM``, plus ``cost_events_default`` for any instant no month partition covers
(so an insert never fails for want of a partition). Two SQL functions, installed by the
migration, keep the partitions:

- ``guard_cost_partitions_ensure(lo, hi)`` creates the months overlapping ``[lo, hi)``; rows of
  such a month that had fallen into the default partition move into it, keeping their ``seq``
  (the rollups have already counted them by it);
- ``guard_cost_partitions_drop(cutoff, upto_seq)`` drops the month partitions that end at or
  before ``cutoff`` and whose rows all have ``seq ≤ upto_seq`` (the cost rollups hold them
  already), and deletes such rows from the default partition; the idempotency ledger
  ``cost_event_keys`` loses the keys of every event so dropped.

Ingest, the writer of ``cost_events`` and ``cost_event_keys``, calls both from its partition job
(guard_ingest.adapters.partitions_job); the benchmark loader calls the first. Whether a row is
rolled up is the cost rollups' watermark (:func:`rolled_up_position`), which ingest reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

ENSURE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION guard_cost_partitions_ensure(lo timestamptz, hi timestamptz)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    month timestamp := date_trunc('month', lo AT TIME ZONE 'UTC');
    low timestamptz;
    high timestamptz;
    name text;
    made integer := 0;
BEGIN
    WHILE (month AT TIME ZONE 'UTC') < hi LOOP
        name := 'cost_events_p' || to_char(month, 'YYYYMM');
        low := month AT TIME ZONE 'UTC';
        high := (month + interval '1 month') AT TIME ZONE 'UTC';
        IF to_regclass(name) IS NULL THEN
            CREATE TEMP TABLE guard_moving_cost_events AS
                SELECT * FROM cost_events_default WHERE occurred_at >= low AND occurred_at < high;
            DELETE FROM cost_events_default WHERE occurred_at >= low AND occurred_at < high;
            EXECUTE format('CREATE TABLE %I PARTITION OF cost_events FOR VALUES FROM (%L) TO (%L)',
                           name, low, high);
            INSERT INTO cost_events OVERRIDING SYSTEM VALUE SELECT * FROM guard_moving_cost_events;
            DROP TABLE guard_moving_cost_events;
            made := made + 1;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN made;
END
$fn$;
"""

DROP_FUNCTION = r"""
CREATE OR REPLACE FUNCTION guard_cost_partitions_drop(cutoff timestamptz, upto_seq bigint)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    part record;
    low timestamp;
    high timestamptz;
    dropped integer := 0;
    unread boolean;
BEGIN
    FOR part IN
        SELECT c.relname AS name FROM pg_inherits AS h JOIN pg_class AS c ON c.oid = h.inhrelid
        WHERE h.inhparent = 'cost_events'::regclass AND c.relname ~ '^cost_events_p[0-9]{6}$'
        ORDER BY c.relname
    LOOP
        low := to_date(substr(part.name, 14), 'YYYYMM')::timestamp;
        high := (low + interval '1 month') AT TIME ZONE 'UTC';
        IF high <= cutoff THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE seq > %s)', part.name, upto_seq)
                INTO unread;
            IF NOT unread THEN
                EXECUTE format('DROP TABLE %I', part.name);
                -- A key's occurred_at is its stored event's, so the month's keys go with it.
                DELETE FROM cost_event_keys
                WHERE occurred_at >= low AT TIME ZONE 'UTC' AND occurred_at < high;
                dropped := dropped + 1;
            END IF;
        END IF;
    END LOOP;
    WITH gone AS (
        DELETE FROM cost_events_default WHERE occurred_at < cutoff AND seq <= upto_seq
        RETURNING tenant_id, event_id
    )
    DELETE FROM cost_event_keys AS k USING gone
    WHERE k.tenant_id = gone.tenant_id AND k.event_id = gone.event_id;
    RETURN dropped;
END
$fn$;
"""

DROP_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS guard_cost_partitions_ensure(timestamptz, timestamptz)",
    "DROP FUNCTION IF EXISTS guard_cost_partitions_drop(timestamptz, bigint)",
)

#: The cost rollups' row in ``analytics_watermarks`` (written by analytics): its ``position`` is
#: the highest ``cost_events.seq`` the rollups hold.
COST_ROLLUP_WATERMARK = "cost_rollup"

#: Table names that are partitions, not tables of the model (the drift check skips them).
PARTITION_NAME = r"^cost_events_(p\d{6}|default)$"


async def ensure_partitions(conn: asyncpg.Connection[Any], lo: datetime, hi: datetime) -> int:
    """Create the month partitions overlapping ``[lo, hi)``; returns how many were new."""
    return int(await conn.fetchval("SELECT guard_cost_partitions_ensure($1, $2)", lo, hi))


async def drop_partitions(conn: asyncpg.Connection[Any], cutoff: datetime, upto_seq: int) -> int:
    """Drop the month partitions ending by ``cutoff`` whose rows are all rolled up."""
    return int(await conn.fetchval("SELECT guard_cost_partitions_drop($1, $2)", cutoff, upto_seq))


async def rolled_up_position(conn: asyncpg.Connection[Any]) -> int:
    """How far the cost rollups have read ``cost_events`` (0 before their first cycle)."""
    value = await conn.fetchval(
        "SELECT position FROM analytics_watermarks WHERE name = $1", COST_ROLLUP_WATERMARK
    )
    return int(value or 0)
