"""Database access of the gateway: ONE SQLAlchemy ``AsyncEngine`` (asyncpg underneath) per process.

Every repository of ``guard_api.drivers`` takes the request's ``AsyncConnection`` and builds its
statements with SQLAlchemy Core from the storage metadata. On checkout the pool drops a connection
whose socket the server closed (a PostgreSQL restart; asyncpg already knows, no round trip) and
pings one that sat idle longer than ``ping_idle_s`` (one round trip, for connections that died
silently); either is replaced by a fresh one. A connection in steady use is not pinged (that round
trip was ~15 % of a cached read); if it died anyway, its statement fails, SQLAlchemy invalidates
every pooled connection older than the failure, and the pool heals from the next checkout on. What still fails (the server is away) is recognised by
:func:`is_unavailable` and answered 503 by the edge. See docs/operations-gateway.md.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event
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


#: Settings of every gateway session (docs/operations-gateway.md#session-settings). The gateway's
#: statements are short, per-tenant and prepared: JIT compiled 58 ms of a large tenant's 425 ms
#: recurrence answer before it saved anything, and at the default 4 MB that answer sorted its
#: ~53,000 rows on disk. 16 MB per sort node is at most 320 MB per worker with the default pool.
SESSION_SETTINGS = {"jit": "off", "work_mem": "16MB"}

_IDLE_SINCE = "guard_idle_since"


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a connection on checkout only when it was idle for more than ``idle_s`` seconds."""
    pool = engine.sync_engine.pool

    def connected(_dbapi: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_in(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        # A server that went away closed the socket: asyncpg has seen it, no round trip needed.
        driver = getattr(dbapi, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise sa_exc.DisconnectionError("the pooled connection was closed by the server")
        if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) <= idle_s:
            return
        try:
            dbapi.ping()  # runs inside SQLAlchemy's greenlet, like its own pre-ping
        except Exception as exc:
            # The pool discards this connection and retries the checkout with a fresh one.
            raise sa_exc.DisconnectionError(f"idle connection failed its ping: {exc}") from exc

    event.listen(pool, "connect", connected)
    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


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
        ping_idle_s: float = 0.1,
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
            # ping_idle_s = 0: SQLAlchemy's own pre-ping on every checkout.
            pool_pre_ping=pre_ping and ping_idle_s <= 0,
            pool_timeout=pool_timeout_s,
            connect_args={
                "timeout": connect_timeout_s,
                "command_timeout": statement_timeout_s,
                "server_settings": SESSION_SETTINGS,
            },
            # Autocommit from the connection's creation (not per checkout): the pre-ping is then
            # one round trip (";"), where a connection outside autocommit wraps it in BEGIN and
            # ROLLBACK (three), and no isolation level is set and reset around every request.
            isolation_level="AUTOCOMMIT",
        )
        self.engine: AsyncEngine = self._base
        if pre_ping and ping_idle_s > 0:
            _ping_when_idle(self._base, ping_idle_s)

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
