"""Database access of the gateway: ONE SQLAlchemy ``AsyncEngine`` (asyncpg underneath) per process.

Every repository of ``guard_api.drivers`` takes the request's ``AsyncConnection`` and builds its
statements with SQLAlchemy Core from the storage metadata. The engine pre-pings each connection it
hands out: a connection that died with the server (a PostgreSQL restart) is discarded on checkout,
together with every pooled connection older than it, and a fresh one is opened in its place, so
the pool heals by itself. What still fails (the server is away) is recognised by
:func:`is_unavailable` and answered 503 by the edge. See docs/operations-gateway.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guard_storage.db import create_engine

__all__ = ["AsyncConnection", "AsyncEngine", "Database", "PoolUsage", "is_unavailable"]

#: Errors asyncpg raises when the server is away, shutting down or starting up.
_ASYNCPG_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` means "the database cannot be reached now" (retry later), not a bug."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection became free in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        cause = error.orig.__cause__ if error.orig is not None else None
        return isinstance(error, sa_exc.InterfaceError) or isinstance(
            cause, (*_ASYNCPG_UNAVAILABLE, OSError, asyncio.TimeoutError)
        )
    return isinstance(error, (*_ASYNCPG_UNAVAILABLE, OSError, asyncio.TimeoutError))


@dataclass(frozen=True, slots=True)
class PoolUsage:
    size: int
    checked_out: int
    overflow: int


class Database:
    """The process's engine, in autocommit: the gateway only reads, so BEGIN/ROLLBACK around
    every request would be two round trips of pure overhead (each statement sees its own
    committed snapshot)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int,
        pre_ping: bool = True,
        connect_timeout_s: float = 5.0,
        pool_timeout_s: float = 10.0,
        statement_timeout_s: float = 30.0,
    ) -> None:
        self._base = create_engine(
            url,
            pool_size=pool_size,
            # No overflow: an overflow connection is closed when returned, so under load every
            # request beyond the pool would pay a fresh connection (and a new Postgres backend).
            max_overflow=0,
            pool_pre_ping=pre_ping,
            pool_timeout=pool_timeout_s,
            connect_args={"timeout": connect_timeout_s, "command_timeout": statement_timeout_s},
            # Autocommit from the connection's creation (not per checkout): the pre-ping is then
            # one round trip (";"), where a connection outside autocommit wraps it in BEGIN and
            # ROLLBACK (three), and no isolation level is set and reset around every request.
            isolation_level="AUTOCOMMIT",
        )
        self.engine: AsyncEngine = self._base

    def connect(self) -> AsyncConnection:
        return self.engine.connect()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    def usage(self) -> PoolUsage:
        pool = self._base.pool
        size = getattr(pool, "size", lambda: 0)()
        checked_out = getattr(pool, "checkedout", lambda: 0)()
        overflow = max(getattr(pool, "overflow", lambda: 0)(), 0)
        return PoolUsage(size=size, checked_out=checked_out, overflow=overflow)

    async def dispose(self) -> None:
        await self._base.dispose()
