"""Raw inbound events: cost events (bulk COPY), killswitch events, the idempotency ledger."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

COST_COLUMNS = (
    "tenant_id", "event_id", "occurred_at", "run_id", "step_index", "agent_id", "user_id",
    "feature_tag", "model", "provider", "input_tokens", "output_tokens", "cost_micros",
    "duration_ms", "status",
)  # fmt: skip
KILLSWITCH_COLUMNS = (
    "tenant_id", "event_id", "event_type", "occurred_at", "killswitch_id", "trigger_type",
    "action", "run_id", "agent_id", "policy_id", "rule", "reason", "actor_id", "calls_affected",
    "cost_delta_micros", "error_rate", "severity", "evidence", "incident_id", "raw",
)  # fmt: skip
PROCESSED_COLUMNS = ("tenant_id", "event_id", "event_type", "occurred_at", "outcome")

KEY_COLUMNS = ("tenant_id", "event_id", "occurred_at")  # the first three of COST_COLUMNS

# The slow way, one statement: the batch's keys that are new (first occurrence of each in the
# batch, in staging order) go into the ledger, and exactly the rows they name into cost_events.
_MOVE_COST = f"""
WITH fresh AS (
    INSERT INTO cost_event_keys ({", ".join(KEY_COLUMNS)})
    SELECT DISTINCT ON (tenant_id, event_id) {", ".join(KEY_COLUMNS)} FROM cost_events_stage
    ORDER BY tenant_id, event_id, ctid
    ON CONFLICT DO NOTHING
    RETURNING {", ".join(KEY_COLUMNS)}
)
INSERT INTO cost_events ({", ".join(COST_COLUMNS)})
SELECT DISTINCT ON (s.tenant_id, s.event_id) {", ".join("s." + c for c in COST_COLUMNS)}
FROM cost_events_stage AS s JOIN fresh USING ({", ".join(KEY_COLUMNS)})
ORDER BY s.tenant_id, s.event_id, s.ctid
ON CONFLICT DO NOTHING
"""

Key = tuple[str, uuid.UUID]


async def insert_cost_events(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> int:
    """Store the batch's cost events; returns how many were new (the rest are duplicates).

    A cost event is identified by (tenant_id, event_id) alone, but ``cost_events`` is
    partitioned by ``occurred_at`` and its key must carry it, so the key cannot refuse the same
    id sent again with another instant. The ledger ``cost_event_keys`` (unpartitioned, keyed
    (tenant_id, event_id)) does: an event is stored only when its key is new there, in the same
    transaction (docs/operations-scaling.md#growth-partitions-and-retention).

    Duplicates are rare (a re-delivered batch), so COPY the keys, then the rows, straight in
    inside a savepoint. A key already stored, or twice in the batch, makes the first COPY fail
    with a unique violation; the batch then goes the slower way: COPY into the staging table,
    then one statement inserting the new keys and only the rows they name.
    """
    if not rows:
        return 0
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "cost_event_keys", records=[r[:3] for r in rows], columns=KEY_COLUMNS
            )
            await conn.copy_records_to_table("cost_events", records=rows, columns=COST_COLUMNS)
        return len(rows)
    except asyncpg.UniqueViolationError:
        pass
    await conn.copy_records_to_table("cost_events_stage", records=rows, columns=COST_COLUMNS)
    status = await conn.execute(_MOVE_COST)
    await conn.execute("TRUNCATE cost_events_stage")  # the caller's transaction may go on
    return int(status.rsplit(" ", 1)[1])


async def existing_keys(conn: asyncpg.Connection[Any], table: str, keys: Sequence[Key]) -> set[Key]:
    """Which (tenant_id, event_id) pairs ``table`` already holds."""
    if not keys:
        return set()
    assert table in {"killswitch_events", "processed_events", "cost_anomalies"}
    rows = await conn.fetch(
        f"SELECT t.tenant_id, t.event_id FROM {table} t "
        "JOIN unnest($1::text[], $2::uuid[]) AS k(tenant_id, event_id) "
        "ON t.tenant_id = k.tenant_id AND t.event_id = k.event_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["tenant_id"], r["event_id"]) for r in rows}


async def insert_killswitch_events(
    conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]
) -> None:
    # Plain COPY, no ON CONFLICT: duplicates were filtered under the incident locks; a racing
    # replica's duplicate fails the batch, which is then retried and sees it as a duplicate.
    if rows:
        await conn.copy_records_to_table(
            "killswitch_events", records=rows, columns=KILLSWITCH_COLUMNS
        )


async def insert_processed(conn: asyncpg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        await conn.copy_records_to_table(
            "processed_events", records=rows, columns=PROCESSED_COLUMNS
        )


async def killswitch_index(
    conn: asyncpg.Connection[Any], keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """(tenant, killswitch_id) -> incident of its latest ``killswitch.triggered``."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT DISTINCT ON (e.tenant_id, e.killswitch_id) e.tenant_id, e.killswitch_id, "
        "e.incident_id FROM killswitch_events e "
        "JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, killswitch_id) "
        "ON e.tenant_id = k.tenant_id AND e.killswitch_id = k.killswitch_id "
        "WHERE e.event_type = 'killswitch.triggered' AND e.incident_id IS NOT NULL "
        "ORDER BY e.tenant_id, e.killswitch_id, e.seq DESC",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["tenant_id"], r["killswitch_id"]): r["incident_id"] for r in rows}
