"""Engine and session factory. The edge (a request or a Kafka batch) owns the transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# SQLAlchemy is imported where it is used: the URL helpers serve asyncpg-only services (ingest)
# that would otherwise pay its import (~0.7 s) on every start.


def to_async_url(url: str) -> str:
    """Accept ``postgresql://`` URLs too, and use asyncpg for them."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def to_asyncpg_dsn(url: str) -> str:
    """The plain DSN asyncpg itself takes (no SQLAlchemy driver suffix)."""
    return to_async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, **options: Any
) -> AsyncEngine:
    """A pre-pinging engine: a connection found dead on checkout is discarded (with every other
    connection of the pool older than it) and replaced. ``options`` are passed to
    :func:`~sqlalchemy.ext.asyncio.create_async_engine` and override these defaults."""
    from sqlalchemy.ext.asyncio import create_async_engine

    defaults: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_pre_ping": True,
        "echo": echo,
    }
    return create_async_engine(to_async_url(url), **(defaults | options))


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(engine, expire_on_commit=False)
