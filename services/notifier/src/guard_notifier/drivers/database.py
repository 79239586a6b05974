"""The asyncpg pool (L6); JSONB columns read and write plain Python values."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from guard_storage.db import to_asyncpg_dsn


async def _init(conn: asyncpg.Connection[Any]) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def open_pool(url: str, size: int) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        to_asyncpg_dsn(url),
        min_size=1,
        max_size=size,
        init=_init,
        server_settings={"timezone": "UTC"},
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool[Any]) -> bool:
    return bool(await pool.fetchval("SELECT 1"))


async def connect(url: str) -> asyncpg.Connection[Any]:
    """A connection of its own (the sender's leadership lock lives as long as it does)."""
    return await asyncpg.connect(to_asyncpg_dsn(url))
