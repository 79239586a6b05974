"""The database engine of the gateway."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from guard_storage.db import to_async_url

__all__ = ["AsyncConnection", "AsyncEngine", "open_engine", "ping"]


def open_engine(url: str, *, pool_size: int, pre_ping: bool) -> AsyncEngine:
    # Not guard_storage.db.create_engine: its pre-ping costs one extra round trip per request,
    # which the read path cannot afford (see bench/api); a dropped connection is discarded anyway.
    return create_async_engine(
        to_async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping
    )


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
