"""Fault-injection fixtures: a private Kafka and PostgreSQL for the whole fault suite."""

from __future__ import annotations

import asyncio
import os
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
    # The suite starts ingest and analytics a dozen times: let them keep their bytecode (in the
    # temporary folder, not the checkout) instead of compiling every module at each start.
    saved = {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(paths.root / "pycache")
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
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def _start(kafka: PrivateKafka, postgres: PrivatePostgres) -> None:
    await postgres.start()
    await kafka.start()
