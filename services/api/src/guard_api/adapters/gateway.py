"""The gateway's long-lived resources and the per-request scopes built from them.

One database (a single SQLAlchemy engine and its pool) per process and one connection per
request, held by the edge for the request's duration. A connection that cannot be had, or that
breaks mid-request because the server went away, becomes :class:`Unavailable` (503 with
Retry-After), never a 500; the engine's pre-ping replaces dead pooled connections on checkout,
so the first request after the server is back is served normally (docs/operations-gateway.md).

Reads that may lag the primary (incident lists and detail, analytics, costs) take their
connection from :meth:`Gateway.read_scope`: the replica's engine when ``database_read_url`` is set
and the replica answers, else the primary's. A replica that cannot be reached is skipped for
``db_read_retry_s`` seconds; it never turns into a 503 while the primary is up
(docs/operations-gateway.md#read-replica).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

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

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        self.database = self._database(settings.database_url)
        #: The read replica's engine, or None: reads use the primary.
        self.read_database = (
            self._database(settings.database_read_url) if settings.database_read_url else None
        )
        #: Until when (monotonic) reads skip the replica after it failed.
        self._replica_down_until = 0.0
        self.publisher = KafkaPublisher(
            settings.kafka_bootstrap_servers,
            settings.topic_incident_commands,
            timeout_s=settings.kafka_timeout_s,
        )
        self.exports = ExportsService(settings, self.connection)
        # Channel commands go through the same publisher as incident commands (another topic).
        self.notification_channels = NotificationChannels(settings, self.publisher)

    def _database(self, url: str) -> Database:
        settings = self.settings
        return Database(
            url,
            pool_size=settings.db_pool_size,
            pre_ping=settings.db_pool_pre_ping,
            ping_idle_s=settings.db_pool_ping_idle_s,
            connect_timeout_s=settings.db_connect_timeout_s,
            pool_timeout_s=settings.db_pool_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
        )

    async def start(self) -> None:
        await self.publisher.start()
        await self.exports.start()

    async def stop(self) -> None:
        await self.exports.stop()
        await self.publisher.stop()
        await self.database.dispose()
        if self.read_database is not None:
            await self.read_database.dispose()

    async def ready(self) -> None:
        """Raises :class:`Unavailable` unless PostgreSQL answers."""
        async with self.connection() as conn:
            await conn.exec_driver_sql("SELECT 1")

    def admit(self, tenant_id: str, command: bool) -> None:
        self.limiter.admit(tenant_id, command)

    def pool_usage(self) -> PoolUsage:
        return self.database.usage()

    def _unavailable(self, exc: BaseException) -> Unavailable:
        return Unavailable(
            "unavailable",
            f"the database is unreachable ({type(exc).__name__}); retry shortly",
            retry_after=self.settings.retry_after_s,
        )

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """One pooled connection; "the database is away" surfaces as :class:`Unavailable`."""
        try:
            async with self.database.connect() as conn:
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise self._unavailable(exc) from exc
            raise

    def _replica(self) -> Database | None:
        """The replica's engine, unless there is none or it failed less than
        ``db_read_retry_s`` ago."""
        if self.read_database is None or time.monotonic() < self._replica_down_until:
            return None
        return self.read_database

    def _replica_failed(self, exc: BaseException) -> None:
        if time.monotonic() >= self._replica_down_until:
            log.warning(
                "read replica unreachable, reading from the primary",
                extra={"error": type(exc).__name__, "retry_in_s": self.settings.db_read_retry_s},
            )
        self._replica_down_until = time.monotonic() + self.settings.db_read_retry_s

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads that may lag the primary: the replica's when it answers, else
        the primary's. A replica failing mid-request is skipped from then on; that request
        answers 503 (``read`` retries it on the primary instead)."""
        replica = self._replica()
        if replica is None:
            async with self.connection() as conn:
                yield conn
            return
        conn = replica.connect()
        try:
            await conn.start()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self._replica_failed(exc)
            async with self.connection() as primary:
                yield primary
            return
        try:
            yield conn
        except Exception as exc:
            if is_unavailable(exc):
                self._replica_failed(exc)
                raise self._unavailable(exc) from exc
            raise
        finally:
            await asyncio.shield(conn.close())

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[RequestScope]:
        async with self.read_connection() as conn:
            yield RequestScope(conn, self.publisher, self.notification_channels)

    async def read(self, work: Callable[[RequestScope], Awaitable[T]]) -> T:
        """``work`` on a read scope; if the replica fails during it, once more on the primary
        (reads are idempotent)."""
        if self._replica() is None:
            async with self.scope() as scope:
                return await work(scope)
        try:
            async with self.read_scope() as scope:
                return await work(scope)
        except Unavailable:
            if self._replica() is not None:
                raise  # the primary failed (the replica is still trusted): a real 503
        async with self.scope() as scope:
            return await work(scope)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[RequestScope]:
        async with self.connection() as conn:
            yield RequestScope(conn, self.publisher, self.notification_channels)

    #: The incident routers' name for the same scope.
    incident_scope = scope
