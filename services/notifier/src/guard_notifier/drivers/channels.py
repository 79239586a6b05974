"""Channels and their subscriptions (the notifier is their only writer).

Both are keyed (tenant_id, channel_id) (docs/operations-scaling.md): every statement names the
tenant, so on a database distributed by tenant each one reaches one shard.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

Conn: TypeAlias = "asyncpg.Connection[Any]"
Db: TypeAlias = "asyncpg.Connection[Any] | asyncpg.Pool[Any]"

_CHANNEL = """
    c.channel_id, c.tenant_id, c.name, c.kind, c.url, c.secret, c.status, c.disabled_reason,
    c.failing_since, c.window_started_at, c.window_sent,
    s.change_types, s.min_severity, s.categories
"""


async def create(conn: Conn, row: dict[str, Any]) -> bool:
    """Insert a channel and its subscription; False when the channel id exists (a repeat)."""
    created = await conn.fetchval(
        """INSERT INTO notification_channels
             (channel_id, tenant_id, name, kind, url, secret, status, created_by, created_at,
              updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $8)
           ON CONFLICT (tenant_id, channel_id) DO NOTHING RETURNING true""",
        row["channel_id"], row["tenant_id"], row["name"], row["kind"], row["url"],
        row["secret"], row["created_by"], row["now"],
    )  # fmt: skip
    if created:
        await conn.execute(
            """INSERT INTO notification_subscriptions
                 (channel_id, tenant_id, change_types, min_severity, categories)
               VALUES ($1, $2, $3, $4, $5)""",
            row["channel_id"], row["tenant_id"], row["change_types"], row["min_severity"],
            row["categories"],
        )  # fmt: skip
    return bool(created)


async def set_status(
    conn: Conn, tenant_id: str, channel_id: uuid.UUID, status: str, reason: str | None,
    now: datetime,
) -> bool:  # fmt: skip
    """Move an active or disabled channel to ``status``; False if unknown or already deleted.

    A deleted channel never signs again, so its (sealed) secret is erased with the delete."""
    done = await conn.fetchval(
        """UPDATE notification_channels
           SET status = $3, disabled_reason = $4, updated_at = $5,
               secret = CASE WHEN $3::varchar = 'deleted' THEN '' ELSE secret END
           WHERE channel_id = $1 AND tenant_id = $2 AND status <> 'deleted' RETURNING true""",
        channel_id, tenant_id, status, reason, now,
    )  # fmt: skip
    return bool(done)


async def get(conn: Db, tenant_id: str, channel_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""SELECT {_CHANNEL} FROM notification_channels c
            JOIN notification_subscriptions s USING (tenant_id, channel_id)
            WHERE c.tenant_id = $1 AND c.channel_id = $2""",
        tenant_id, channel_id,
    )  # fmt: skip
    return dict(row) if row else None


async def active_for_tenants(conn: Conn, tenants: Iterable[str]) -> list[dict[str, Any]]:
    """The tenants' active channels, locked for this transaction (their flood windows change)."""
    rows = await conn.fetch(
        f"""SELECT {_CHANNEL} FROM notification_channels c
            JOIN notification_subscriptions s USING (tenant_id, channel_id)
            WHERE c.tenant_id = ANY($1::text[]) AND c.status = 'active'
            ORDER BY c.channel_id FOR UPDATE OF c""",
        list(tenants),
    )
    return [dict(r) for r in rows]


async def save_windows(
    conn: Conn, windows: Sequence[tuple[str, uuid.UUID, datetime | None, int]]
) -> None:
    """(tenant_id, channel_id, window started at, sent in it) per channel."""
    if windows:
        await conn.executemany(
            """UPDATE notification_channels SET window_started_at = $3, window_sent = $4
               WHERE tenant_id = $1 AND channel_id = $2""",
            windows,
        )


async def mark_healthy(conn: Db, tenant_id: str, channel_id: uuid.UUID) -> None:
    await conn.execute(
        """UPDATE notification_channels SET failing_since = NULL
           WHERE tenant_id = $1 AND channel_id = $2 AND failing_since IS NOT NULL""",
        tenant_id, channel_id,
    )  # fmt: skip


async def mark_failing(conn: Db, tenant_id: str, channel_id: uuid.UUID, now: datetime) -> datetime:
    """Record a failed attempt; returns since when the channel has been failing."""
    since: datetime = await conn.fetchval(
        """UPDATE notification_channels SET failing_since = COALESCE(failing_since, $3)
           WHERE tenant_id = $1 AND channel_id = $2 RETURNING failing_since""",
        tenant_id, channel_id, now,
    )  # fmt: skip
    return since


async def stored_secrets(db: Db) -> list[tuple[str, uuid.UUID, str]]:
    """(tenant, channel, stored secret) of every channel not deleted: the start-up re-seal."""
    rows = await db.fetch(
        "SELECT tenant_id, channel_id, secret FROM notification_channels "
        "WHERE status <> 'deleted' AND secret <> ''"
    )
    return [(r["tenant_id"], r["channel_id"], r["secret"]) for r in rows]


async def replace_secret(
    db: Db, tenant_id: str, channel_id: uuid.UUID, stored: str, sealed: str
) -> bool:
    """Store ``sealed`` in place of ``stored``, unless the row changed meanwhile (a delete)."""
    done = await db.fetchval(
        "UPDATE notification_channels SET secret = $4 "
        "WHERE tenant_id = $1 AND channel_id = $2 AND secret = $3 RETURNING true",
        tenant_id, channel_id, stored, sealed,
    )  # fmt: skip
    return bool(done)
