"""The delivery ledger: one row per message, its attempts and its fate.

Rows are keyed (tenant_id, delivery_id) (docs/operations-scaling.md): every statement about given
rows names their tenant; only the dispatcher's sweep for due rows reads across tenants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

Conn: TypeAlias = "asyncpg.Connection[Any]"
Db: TypeAlias = "asyncpg.Connection[Any] | asyncpg.Pool[Any]"

#: Columns of a new row, in the order :func:`insert` takes them.
NEW_ROW = ("delivery_id", "channel_id", "tenant_id", "kind", "status", "source_event_id",
           "incident_id", "change_type", "payload", "change_occurred_at", "next_attempt_at",
           "created_at")  # fmt: skip


async def existing(conn: Conn, keys: Iterable[tuple[str, uuid.UUID]]) -> set[tuple[str, uuid.UUID]]:
    """Which of these (tenant_id, delivery_id) are in the ledger already."""
    wanted = list(keys)
    rows = await conn.fetch(
        """SELECT d.tenant_id, d.delivery_id FROM notification_deliveries d
           JOIN unnest($1::text[], $2::uuid[]) AS k(tenant_id, delivery_id)
             ON d.tenant_id = k.tenant_id AND d.delivery_id = k.delivery_id""",
        [k[0] for k in wanted], [k[1] for k in wanted],
    )  # fmt: skip
    return {(r["tenant_id"], r["delivery_id"]) for r in rows}


async def insert(conn: Conn, rows: Sequence[tuple[Any, ...]]) -> None:
    """New rows (:data:`NEW_ROW` order); a repeated id is ignored, so a replay adds nothing."""
    if rows:
        await conn.executemany(
            """INSERT INTO notification_deliveries
                 (delivery_id, channel_id, tenant_id, kind, status, source_event_id, incident_id,
                  change_type, payload, change_occurred_at, next_attempt_at, created_at,
                  updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
               ON CONFLICT (tenant_id, delivery_id) DO NOTHING""",
            rows,
        )


async def add_to_digest(
    conn: Conn, digest_id: uuid.UUID, channel_id: uuid.UUID, tenant_id: str, count: int,
    due: datetime, now: datetime,
) -> bool:  # fmt: skip
    """Count ``count`` held-back changes into a window's digest; False if it has already left."""
    done = await conn.fetchval(
        """INSERT INTO notification_deliveries AS d
             (delivery_id, channel_id, tenant_id, kind, status, digest_count, next_attempt_at,
              created_at, updated_at)
           VALUES ($1, $2, $3, 'digest', 'pending', $4, $5, $6, $6)
           ON CONFLICT (tenant_id, delivery_id) DO UPDATE
             SET digest_count = d.digest_count + excluded.digest_count, updated_at = $6
             WHERE d.payload IS NULL AND d.status = 'pending'
           RETURNING true""",
        digest_id, channel_id, tenant_id, count, due, now,
    )  # fmt: skip
    return bool(done)


async def release(conn: Conn, tenant_id: str, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Send one tenant's held-back rows after all (their digest had already left)."""
    await conn.execute(
        """UPDATE notification_deliveries SET status = 'pending', next_attempt_at = $2,
             updated_at = $2 WHERE tenant_id = $3 AND delivery_id = ANY($1::uuid[])""",
        list(ids), now, tenant_id,
    )  # fmt: skip


async def due(
    conn: Db, now: datetime, in_flight: Sequence[uuid.UUID], full: Sequence[uuid.UUID],
    per_channel: int, limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Pending rows whose time has come, oldest first, at most ``per_channel`` per channel.

    Only the oldest pending row of each (channel, incident) is considered, so a row waits while
    an earlier one of the same incident is pending (in flight or backing off): that is what keeps
    each incident's changes in order. Rows without an incident (tests, digests) of a channel go
    one at a time the same way. Channels in
    ``full`` already have as many messages in hand as they may; their rows are not read.
    """
    rows = await conn.fetch(
        """WITH heads AS (
             -- the oldest pending row of each (channel, incident): only it may go
             SELECT DISTINCT ON (tenant_id, channel_id, incident_id)
                    tenant_id, delivery_id, channel_id, seq, next_attempt_at
             FROM notification_deliveries
             WHERE status = 'pending' AND NOT (channel_id = ANY($5::uuid[]))
             ORDER BY tenant_id, channel_id, incident_id, seq
           ), ready AS (
             SELECT tenant_id, delivery_id, seq,
                    row_number() OVER (PARTITION BY tenant_id, channel_id ORDER BY seq) AS rank
             FROM heads
             WHERE next_attempt_at <= $1 AND NOT (delivery_id = ANY($2::uuid[]))
           )
           SELECT d.delivery_id, d.channel_id, d.tenant_id, d.kind, d.payload, d.digest_count,
                  d.attempts, d.change_occurred_at, d.created_at, d.next_attempt_at
           FROM ready r JOIN notification_deliveries d USING (tenant_id, delivery_id)
           WHERE r.rank <= $3 ORDER BY r.seq LIMIT $4""",
        now, list(in_flight), per_channel, limit, list(full),
    )  # fmt: skip
    return [dict(r) for r in rows]


async def record_attempt(
    conn: Db, tenant_id: str, delivery_id: uuid.UUID, *, status: str, status_code: int | None,
    error: str | None, next_attempt_at: datetime | None, now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        """UPDATE notification_deliveries
           SET status = $2::varchar, attempts = attempts + 1, last_status_code = $3, last_error = $4,
               next_attempt_at = $5, last_attempt_at = $6, updated_at = $6,
               delivered_at = CASE WHEN $2::varchar = 'delivered' THEN $6::timestamptz END
           WHERE tenant_id = $7 AND delivery_id = $1 AND status = 'pending'""",
        delivery_id, status, status_code, error, next_attempt_at, now, tenant_id,
    )  # fmt: skip


async def close(
    conn: Db, tenant_id: str, delivery_id: uuid.UUID, status: str, error: str, now: datetime
) -> None:
    """End a pending row without an attempt (channel gone, URL refused, attempts used up)."""
    await conn.execute(
        """UPDATE notification_deliveries SET status = $2, last_error = $3, updated_at = $4,
             next_attempt_at = NULL
           WHERE tenant_id = $5 AND delivery_id = $1 AND status = 'pending'""",
        delivery_id, status, error, now, tenant_id,
    )  # fmt: skip


async def cancel_channel(
    conn: Db, tenant_id: str, channel_id: uuid.UUID, reason: str, now: datetime
) -> int:
    result = await conn.execute(
        """UPDATE notification_deliveries SET status = 'cancelled', last_error = $2,
             updated_at = $3, next_attempt_at = NULL
           WHERE tenant_id = $4 AND channel_id = $1 AND status IN ('pending', 'digested')""",
        channel_id, reason, now, tenant_id,
    )  # fmt: skip
    return int(result.split()[-1])


async def freeze_digest(
    conn: Db, tenant_id: str, delivery_id: uuid.UUID, payload: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Fix a digest's body once (the first attempt); returns the body every attempt sends."""
    stored: dict[str, Any] | None = await conn.fetchval(
        """UPDATE notification_deliveries SET payload = COALESCE(payload, $2), updated_at = $3
           WHERE tenant_id = $4 AND delivery_id = $1 RETURNING payload""",
        delivery_id, payload, now, tenant_id,
    )  # fmt: skip
    return stored


async def digest_titles(
    conn: Db, tenant_id: str, channel_id: uuid.UUID, start: datetime, end: datetime, limit: int
) -> list[str]:
    rows = await conn.fetch(
        """SELECT payload FROM notification_deliveries
           WHERE tenant_id = $5 AND channel_id = $1 AND status = 'digested'
             AND created_at >= $2 AND created_at < $3 ORDER BY seq LIMIT $4""",
        channel_id, start, end, limit, tenant_id,
    )  # fmt: skip
    titles = []
    for r in rows:
        payload = r["payload"] or {}
        incident = (payload.get("data") or {}).get("incident") or {}
        titles.append(str(incident.get("title") or payload.get("text") or "")[:200])
    return [t for t in titles if t]


async def pending_count(conn: Db) -> int:
    return int(
        await conn.fetchval("SELECT count(*) FROM notification_deliveries WHERE status = 'pending'")
    )
