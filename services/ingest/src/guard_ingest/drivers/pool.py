"""The asyncpg pool every ingest write goes through.

asyncpg directly rather than SQLAlchemy Core: the hot path is ``COPY`` (``copy_records_to_table``),
which Core does not expose, and the other statements are a handful of fixed SQL strings.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from guard_storage.db import to_asyncpg_dsn

Connection = asyncpg.Connection  # re-exported for type hints in adapters

#: Per-connection staging table: COPY lands here, then one INSERT … ON CONFLICT DO NOTHING moves
#: the rows, so duplicates are skipped (and counted) without a round trip per event.
_STAGE_COST_EVENTS = """
CREATE TEMP TABLE IF NOT EXISTS cost_events_stage (
    tenant_id varchar(64) NOT NULL, event_id uuid NOT NULL, occurred_at timestamptz NOT NULL,
    run_id varchar(256), step_index integer, agent_id varchar(256), user_id varchar(256),
    feature_tag varchar(256), model varchar(256) NOT NULL, provider varchar(256),
    input_tokens bigint NOT NULL, output_tokens bigint NOT NULL, cost_micros bigint NOT NULL,
    duration_ms bigint, status varchar(16)
) ON COMMIT DELETE ROWS
"""

_STAGE_INCIDENTS = (
    "CREATE TEMP TABLE IF NOT EXISTS incidents_stage (LIKE incidents) ON COMMIT DELETE ROWS"
)


async def _init(conn: asyncpg.Connection[Any]) -> None:
    # Binary jsonb (a version byte, then the JSON text) so COPY can carry it too.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: b"\x01" + orjson.dumps(v),
        decoder=lambda b: orjson.loads(b[1:]),
        schema="pg_catalog",
        format="binary",
    )
    await conn.execute(_STAGE_COST_EVENTS)
    await conn.execute(_STAGE_INCIDENTS)


async def create_pool(database_url: str, size: int) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        to_asyncpg_dsn(database_url), min_size=1, max_size=size, init=_init
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool[Any]) -> bool:
    async with pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT 1"))
