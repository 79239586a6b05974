"""The gateway's long-lived resources and the per-request scopes built from them.

One database connection per request (the edge owns it). The incident endpoints get an
``IncidentScope`` on a plain asyncpg connection; routers added by other modules get a
``RequestScope`` whose ``connection`` is a SQLAlchemy ``AsyncConnection`` for their repositories.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from guard_api.adapters.auth import TokenVerifier
from guard_api.adapters.commands import IncidentCommands
from guard_api.adapters.evidence import IncidentEvidence
from guard_api.adapters.incidents import IncidentQueries
from guard_api.adapters.learnings import IncidentLearnings
from guard_api.config import Settings
from guard_api.drivers.commands import CommandPublisher
from guard_api.drivers.database import AsyncConnection, open_engine, open_pool
from guard_api.drivers.evidence import EvidenceRepository
from guard_api.drivers.incidents import IncidentRepository


@dataclass(frozen=True, slots=True)
class RequestScope:
    connection: AsyncConnection


@dataclass(frozen=True, slots=True)
class IncidentScope:
    connection: asyncpg.Connection[Any]
    publisher: CommandPublisher

    @property
    def incidents(self) -> IncidentQueries:
        return IncidentQueries(IncidentRepository(self.connection))

    @property
    def commands(self) -> IncidentCommands:
        return IncidentCommands(IncidentRepository(self.connection), self.publisher)

    @property
    def evidence(self) -> IncidentEvidence:
        return IncidentEvidence(
            IncidentRepository(self.connection), EvidenceRepository(self.connection)
        )

    @property
    def learnings(self) -> IncidentLearnings:
        return IncidentLearnings(IncidentRepository(self.connection))


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        self.engine = open_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pre_ping=settings.db_pool_pre_ping,
        )
        self.publisher = CommandPublisher(
            settings.kafka_bootstrap_servers, settings.topic_incident_commands
        )
        self._pool: asyncpg.Pool[Any] | None = None
        # asyncpg's pool hands a released connection to whoever asks first, so under load a
        # request can lose the race again and again (p99 ≫ p50 in bench/api); a FIFO semaphore
        # in front of it serves waiting requests in arrival order.
        self._turns = asyncio.Semaphore(settings.db_pool_size)

    async def start(self) -> None:
        self._pool = await open_pool(self.settings.database_url, size=self.settings.db_pool_size)
        await self.publisher.start()

    async def stop(self) -> None:
        await self.publisher.stop()
        if self._pool is not None:
            await self._pool.close()
        await self.engine.dispose()

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("the gateway is not started")
        return self._pool

    async def ready(self) -> None:
        await self.pool.fetchval("SELECT 1")

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[RequestScope]:
        async with self.engine.connect() as conn:
            yield RequestScope(conn)

    @asynccontextmanager
    async def incident_scope(self) -> AsyncIterator[IncidentScope]:
        async with self._turns, self.pool.acquire() as conn:
            yield IncidentScope(conn, self.publisher)
