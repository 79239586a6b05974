"""Pytest fixtures for integration tests against the real Kafka and PostgreSQL.

Where the servers come from, in order:
1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` when set (CI and users with their own servers);
2. testcontainers, when a Docker engine answers;
3. the project's own ``scripts/infra`` (local Kafka and PostgreSQL, no Docker).

Isolation: every test session gets its own database (migrated to head), and ``topics`` gives a test
module its own uniquely named topics, so tests never see each other's messages.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from guard_contracts.topics import Topics
from guard_storage.db import to_async_url, to_asyncpg_dsn


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    database_url: str  # the server's maintenance database; tests get their own


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


def _from_testcontainers(stack: ExitStack) -> Servers:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = stack.enter_context(KafkaContainer("apache/kafka:4.1.1").with_kraft())
    postgres = stack.enter_context(PostgresContainer("postgres:16", driver="asyncpg"))
    return Servers(kafka.get_bootstrap_server(), postgres.get_connection_url())


def _resolve_servers(stack: ExitStack) -> Servers:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if kafka and database:
        return Servers(kafka, database)
    if _docker_available():
        return _from_testcontainers(stack)
    from guard_devtools.infra import ensure_up

    endpoints = ensure_up()
    return Servers(kafka or endpoints.kafka_bootstrap, database or endpoints.database_url)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        yield _resolve_servers(stack)


@pytest.fixture(scope="session")
def kafka_bootstrap(servers: Servers) -> str:
    return servers.kafka_bootstrap


@contextmanager
def fresh_databases(
    server_url: str, prefix: str, count: int = 1, *, migrate: bool = True
) -> Iterator[list[str]]:
    """``count`` new databases on the server of ``server_url``, migrated to head unless
    ``migrate`` is false, and dropped afterwards whatever happens; yields their URLs.

    Synchronous (Alembic runs its own event loop), for fixtures and plain tests."""
    import asyncio

    from guard_storage.migrate import upgrade

    names = [f"{prefix}_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin_dsn = to_asyncpg_dsn(server_url)
    base = to_async_url(server_url).rpartition("/")[0]

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        for name in names:
            asyncio.run(admin(f'CREATE DATABASE "{name}"'))
            if migrate:
                upgrade(f"{base}/{name}")
        yield [f"{base}/{name}" for name in names]
    finally:
        for name in names:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(servers: Servers) -> Iterator[str]:
    """A fresh database for this test session, migrated to head, dropped afterwards."""
    with fresh_databases(servers.database_url, "guard_test") as (url,):
        yield url


@pytest.fixture(scope="module")
def module_database_url(servers: Servers) -> Iterator[str]:
    """A fresh database for one test module, migrated to head, dropped afterwards: for tests
    that change what a whole database shares (retention, the rollups' watermark, every
    channel's secret), which the session database's other tests must not see."""
    with fresh_databases(servers.database_url, "guard_module") as (url,):
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A plain asyncpg connection to the test database, for arranging and asserting."""
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        yield conn
    finally:
        await conn.close()


async def create_topics(bootstrap: str, topics: Topics, partitions: int = 2) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        new = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if name == topics.budgets else {},
            )
            for name in topics.all()
        ]
        await admin.create_topics(new)
    finally:
        await admin.close()


def unique_topics(prefix: str = "t") -> Topics:
    suffix = uuid.uuid4().hex[:10]
    defaults = Topics()
    return Topics(
        **{
            field: f"{getattr(defaults, field)}.{prefix}-{suffix}"
            for field in Topics.__dataclass_fields__
        }
    )


async def delete_topics(bootstrap: str, topics: Topics) -> None:
    """Best effort: a development broker keeps every test's topics otherwise (a day of runs left
    ~15,000 partitions and ran the broker out of heap). A failure only leaves them behind."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        await admin.delete_topics(list(topics.all()), timeout_ms=10_000)
    except Exception as exc:  # clean-up must not fail a test run
        warnings.warn(f"test topics left on the broker: {exc!r}", stacklevel=1)
    finally:
        await admin.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def topics(kafka_bootstrap: str) -> AsyncIterator[Topics]:
    """Uniquely named topics for one test module, created on the real broker and deleted after
    it (the services of the module stop first: they were set up after these topics)."""
    names = unique_topics()
    await create_topics(kafka_bootstrap, names)
    yield names
    await delete_topics(kafka_bootstrap, names)


@pytest.fixture
def tenant_id() -> str:
    """A tenant no other test uses."""
    return f"tenant-{uuid.uuid4().hex[:12]}"
