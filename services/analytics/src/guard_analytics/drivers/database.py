"""The asyncpg pool (L6)."""

from __future__ import annotations

from typing import Any

import asyncpg

from guard_storage.db import to_asyncpg_dsn


async def open_pool(url: str, size: int) -> asyncpg.Pool[Any]:
    pool = await asyncpg.create_pool(
        to_asyncpg_dsn(url), min_size=1, max_size=size, server_settings={"timezone": "UTC"}
    )
    assert pool is not None
    return pool
