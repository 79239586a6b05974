"""Fault-injection fixtures: a private Kafka and PostgreSQL for the whole fault suite."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .private_infra import PrivateKafka, PrivatePostgres, private_paths, remove


@dataclass
class PrivateServers:
    kafka: PrivateKafka
    postgres: PrivatePostgres


@pytest.fixture(scope="session")
def private_servers() -> Iterator[PrivateServers]:
    if not shutil.which("java"):
        pytest.skip("the fault suite runs its own Kafka broker: Java 17+ is needed")
    paths = private_paths()
    kafka = postgres = None
    try:
        kafka = PrivateKafka.create(paths)
        postgres = PrivatePostgres.create(paths)
        asyncio.run(_start(kafka, postgres))
        yield PrivateServers(kafka, postgres)
    finally:
        if kafka is not None:
            kafka.kill()  # nothing to keep: a clean shutdown only costs time
        if postgres is not None:
            postgres.stop()
        remove(paths)


async def _start(kafka: PrivateKafka, postgres: PrivatePostgres) -> None:
    await postgres.start()
    await kafka.start()
