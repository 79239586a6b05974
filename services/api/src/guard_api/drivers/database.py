"""Database access of the gateway.

Two pools on the same database: an asyncpg pool for the incident read path (SQLAlchemy's
execution layer cost ~8× the query itself there, see bench/api), and a SQLAlchemy engine whose
connections other routers' repositories use (``RequestScope.connection``).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from guard_storage.db import to_async_url, to_asyncpg_dsn

__all__ = ["AsyncConnection", "AsyncEngine", "Pool", "open_engine", "open_pool"]

Pool = asyncpg.Pool


def open_engine(url: str, *, pool_size: int, pre_ping: bool) -> AsyncEngine:
    # Not guard_storage.db.create_engine: its pre-ping costs one extra round trip per request.
    # AUTOCOMMIT: the gateway only reads, so BEGIN/ROLLBACK around every request would be two
    # round trips of pure overhead; each statement sees its own committed snapshot.
    return create_async_engine(
        to_async_url(url),
        pool_size=pool_size,
        # No overflow: an overflow connection is closed when returned, so under load every
        # request beyond the pool would pay a fresh connection (and a new Postgres backend).
        max_overflow=0,
        pool_pre_ping=pre_ping,
        isolation_level="AUTOCOMMIT",
    )


async def open_pool(url: str, *, size: int) -> asyncpg.Pool[Any]:
    # Statements run outside explicit transactions (autocommit), as on the engine above.
    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        to_asyncpg_dsn(url), min_size=1, max_size=size
    )
    return pool
