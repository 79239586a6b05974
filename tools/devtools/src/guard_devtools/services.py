"""Run the real ingest service from other services' integration tests (pytest plugin).

Loaded by the root ``conftest.py``. Two ways to run it, both against the real Kafka and Postgres:

- ``async with run_ingest(kafka_bootstrap, database_url, topics, **overrides) as ingest:`` —
  in-process (FastStream app started on the test's event loop); ``ingest.service`` is the
  ``IngestService``. Stopping finishes the batch in hand, like SIGTERM does.
- ``async with run_ingest_process(...) as proc:`` — ``python -m guard_ingest`` as a subprocess
  (``proc.kill()`` sends SIGKILL, ``proc.restart()`` starts it again), for crash tests.

``overrides`` are ``IngestSettings`` fields (e.g. ``idle_timeout_s=5``, ``group_id="x"``). Each
run uses a fresh consumer group unless ``group_id`` is given. Fixture: ``ingest_service``
(module-scoped, on the module's ``topics``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest_asyncio

from guard_contracts.topics import Topics

T = TypeVar("T")
_TOPIC_FIELDS = ("cost_events", "killswitch_events", "budgets", "incident_commands",
                 "cost_anomalies", "incident_changes", "dlq")  # fmt: skip


def ingest_settings_values(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> dict[str, Any]:
    """IngestSettings field values for these servers and topics, plus overrides."""
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "database_url": database_url,
        "group_id": f"ingest-test-{uuid.uuid4().hex[:8]}",
        "batch_timeout_ms": 50,
        "outbox_interval_s": 0.2,
        "auto_resolve_interval_s": 3600.0,
        "retry_backoff_s": 0.2,
    }
    values |= {f"topic_{name}": getattr(topics, name) for name in _TOPIC_FIELDS}
    return values | overrides


@dataclass
class RunningIngest:
    settings: Any  # guard_ingest.config.IngestSettings
    service: Any  # guard_ingest.adapters.service.IngestService


@asynccontextmanager
async def run_ingest(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> AsyncIterator[RunningIngest]:
    """The ingest service in this process and event loop; stopped gracefully on exit."""
    from guard_ingest.config import IngestSettings
    from guard_ingest.main import create_app

    settings = IngestSettings(
        **ingest_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    )
    app, service = create_app(settings)
    await app.start()
    try:
        yield RunningIngest(settings, service)
    finally:
        await app.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class IngestProcess:
    """``python -m guard_ingest`` in a subprocess with its ops port on 127.0.0.1."""

    env: dict[str, str]
    ops_port: int
    log_path: str
    proc: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "guard_ingest"], env=self.env, stdout=log, stderr=log
            )

    async def wait_ready(self, within_s: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"ingest exited with {self.proc.returncode}; see {self.log_path}"
                    )
                try:
                    if (
                        await client.get(f"http://127.0.0.1:{self.ops_port}/readyz")
                    ).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"ingest not ready after {within_s}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no offset commit, nothing flushed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the batch in hand is finished first."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    async def restart(self) -> None:
        self.start()
        await self.wait_ready()


@asynccontextmanager
async def run_ingest_process(
    kafka_bootstrap: str, database_url: str, topics: Topics, *, log_path: str | None = None,
    **overrides: Any,
) -> AsyncIterator[IngestProcess]:  # fmt: skip
    values = ingest_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    port = int(values.pop("ops_port", 0)) or _free_port()
    env = dict(os.environ)
    env.update({f"GUARD_INGEST_{k.upper()}": str(v) for k, v in values.items()})
    env["GUARD_INGEST_OPS_PORT"] = str(port)
    path = log_path or f"/tmp/guard-ingest-{port}.log"
    proc = IngestProcess(env, port, path)
    await proc.restart()
    try:
        yield proc
    finally:
        if proc.proc is not None and proc.proc.poll() is None:
            proc.terminate()


async def eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], within_s: float = 20.0
) -> T:
    """Poll ``probe`` until ``check`` accepts its value; return it (or fail with the last one)."""
    deadline = time.monotonic() + within_s
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s}s; last value: {value!r}")
        await asyncio.sleep(0.1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def ingest_service(
    kafka_bootstrap: str, database_url: str, topics: Topics
) -> AsyncIterator[RunningIngest]:
    """The real ingest service consuming this module's ``topics``."""
    async with run_ingest(kafka_bootstrap, database_url, topics) as running:
        yield running
