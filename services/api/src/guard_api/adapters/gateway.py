"""The gateway's long-lived resources and the per-request scope built from them.

One database connection per request (the edge owns it); adapters get repositories bound to it.
Routers added by other modules reach their own repositories through ``RequestScope.connection``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from guard_api.adapters.auth import TokenVerifier
from guard_api.adapters.commands import IncidentCommands
from guard_api.adapters.evidence import IncidentEvidence
from guard_api.adapters.incidents import IncidentQueries
from guard_api.adapters.learnings import IncidentLearnings
from guard_api.config import Settings
from guard_api.drivers.commands import CommandPublisher
from guard_api.drivers.database import AsyncConnection, open_engine, ping
from guard_api.drivers.evidence import EvidenceRepository
from guard_api.drivers.incidents import IncidentRepository


@dataclass(frozen=True, slots=True)
class RequestScope:
    connection: AsyncConnection
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

    async def start(self) -> None:
        await self.publisher.start()

    async def stop(self) -> None:
        await self.publisher.stop()
        await self.engine.dispose()

    async def ready(self) -> None:
        await ping(self.engine)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[RequestScope]:
        async with self.engine.connect() as conn:
            yield RequestScope(conn, self.publisher)
