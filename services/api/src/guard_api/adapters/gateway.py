"""The gateway's long-lived resources and the per-request scopes built from them.

One database (a single SQLAlchemy engine and its pool) per process and one connection per
request, held by the edge for the request's duration. A connection that cannot be had, or that
breaks mid-request because the server went away, becomes :class:`Unavailable` (503 with
Retry-After), never a 500; the engine's pre-ping replaces dead pooled connections on checkout,
so the first request after the server is back is served normally (docs/operations-gateway.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from guard_api.adapters.analytics import IncidentAnalytics
from guard_api.adapters.analytics_settings import analytics_settings
from guard_api.adapters.auth import TokenVerifier
from guard_api.adapters.commands import IncidentCommands
from guard_api.adapters.costs import CostQueries
from guard_api.adapters.errors import Unavailable
from guard_api.adapters.evidence import IncidentEvidence
from guard_api.adapters.exports import ExportsService
from guard_api.adapters.incidents import IncidentQueries
from guard_api.adapters.learnings import IncidentLearnings
from guard_api.adapters.notification_channels import ChannelRequests, NotificationChannels
from guard_api.adapters.ratelimit import TenantRateLimiter
from guard_api.config import Settings
from guard_api.drivers.commands import KafkaPublisher
from guard_api.drivers.database import AsyncConnection, Database, PoolUsage, is_unavailable
from guard_api.drivers.evidence import EvidenceRepository
from guard_api.drivers.incidents import IncidentRepository


@dataclass(frozen=True, slots=True)
class RequestScope:
    """One request's connection and the use cases sharing it."""

    connection: AsyncConnection
    publisher: KafkaPublisher
    channels: NotificationChannels

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

    @property
    def analytics(self) -> IncidentAnalytics:
        return IncidentAnalytics(self.connection, analytics_settings())

    @property
    def costs(self) -> CostQueries:
        return CostQueries(self.connection, analytics_settings())

    @property
    def notification_channels(self) -> ChannelRequests:
        return self.channels.on(self.connection)


#: The incident routers' name for the same scope.
IncidentScope = RequestScope


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        self.limiter = TenantRateLimiter(settings)
        self.database = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pre_ping=settings.db_pool_pre_ping,
            connect_timeout_s=settings.db_connect_timeout_s,
            pool_timeout_s=settings.db_pool_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
        )
        self.publisher = KafkaPublisher(
            settings.kafka_bootstrap_servers,
            settings.topic_incident_commands,
            timeout_s=settings.kafka_timeout_s,
        )
        self.exports = ExportsService(settings, self.connection)
        # Channel commands go through the same publisher as incident commands (another topic).
        self.notification_channels = NotificationChannels(settings, self.publisher)

    async def start(self) -> None:
        await self.publisher.start()
        await self.exports.start()

    async def stop(self) -> None:
        await self.exports.stop()
        await self.publisher.stop()
        await self.database.dispose()

    async def ready(self) -> None:
        """Raises :class:`Unavailable` unless PostgreSQL answers."""
        async with self.connection() as conn:
            await conn.exec_driver_sql("SELECT 1")

    def admit(self, tenant_id: str, command: bool) -> None:
        self.limiter.admit(tenant_id, command)

    def pool_usage(self) -> PoolUsage:
        return self.database.usage()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """One pooled connection; "the database is away" surfaces as :class:`Unavailable`."""
        try:
            async with self.database.connect() as conn:
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise Unavailable(
                    "unavailable",
                    f"the database is unreachable ({type(exc).__name__}); retry shortly",
                    retry_after=self.settings.retry_after_s,
                ) from exc
            raise

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[RequestScope]:
        async with self.connection() as conn:
            yield RequestScope(conn, self.publisher, self.notification_channels)

    #: The incident routers' name for the same scope.
    incident_scope = scope
