"""Run the real ingest (and notifier) service from integration tests (pytest plugin).

Loaded by the root ``conftest.py``. Two ways to run it, both against the real Kafka and Postgres:

- ``async with run_ingest(kafka_bootstrap, database_url, topics, **overrides) as ingest:`` —
  in-process (FastStream app started on the test's event loop); ``ingest.service`` is the
  ``IngestService``. Stopping finishes the batch in hand, like SIGTERM does.
- ``async with run_ingest_process(...) as proc:`` — ``python -m guard_ingest`` as a subprocess
  (``proc.kill()`` sends SIGKILL, ``proc.restart()`` starts it again), for crash tests.

``mixed_workload(n, ...)`` builds a deterministic stream of realistic cost and killswitch events
(Zipf-distributed tenants) for crash tests and benchmarks; ``produce_workload`` sends it.

``run_notifier`` / ``run_notifier_process`` do the same for the notifier (development
environment, so a receiver on 127.0.0.1 is allowed; see ``guard_devtools.receiver``).

``overrides`` are ``IngestSettings`` fields (e.g. ``idle_timeout_s=5``, ``group_id="x"``). Each
run uses a fresh consumer group unless ``group_id`` is given. Fixture: ``ingest_service``
(module-scoped, on the module's ``topics``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest_asyncio

from guard_contracts.topics import Topics
from guard_devtools.infra_common import ephemeral_port

T = TypeVar("T")
_TOPIC_FIELDS = ("cost_events", "killswitch_events", "budgets", "incident_commands",
                 "cost_anomalies", "incident_changes", "dlq", "export_results")  # fmt: skip


def ingest_settings_values(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> dict[str, Any]:
    """IngestSettings field values for these servers and topics, plus overrides."""
    values: dict[str, Any] = {
        # Services default to production; test fixtures are development, explicitly.
        "environment": "development",
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
    settings: Any  # guard_ingest.config.Settings
    service: Any  # guard_ingest.adapters.service.IngestService


@asynccontextmanager
async def run_ingest(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> AsyncIterator[RunningIngest]:
    """The ingest service in this process and event loop; stopped gracefully on exit."""
    from guard_ingest.config import Settings as IngestSettings
    from guard_ingest.main import create_app

    settings = IngestSettings(
        **ingest_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    )
    app, service, _ = create_app(settings)
    await app.start()
    try:
        yield RunningIngest(settings, service)
    finally:
        await app.stop()


@dataclass
class IngestProcess:
    """``python -m guard_ingest`` (or ``module``, e.g. ``guard_notifier``) in a subprocess, its
    ops port on 127.0.0.1. ``restart(within_s=...)`` is the one knob for how long a start may
    take to answer /readyz (a loaded machine starts Python slowly)."""

    env: dict[str, str]
    ops_port: int
    log_path: str
    proc: subprocess.Popen[bytes] | None = field(default=None)
    module: str = "guard_ingest"

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module], env=self.env, stdout=log, stderr=log
            )

    async def wait_ready(self, within_s: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.module} exited with {self.proc.returncode}; see {self.log_path}"
                    )
                try:
                    answer = await client.get(f"http://127.0.0.1:{self.ops_port}/readyz")
                    # Draining a backlog (after a crash) is up and running, just not ready.
                    if answer.status_code == 200 or "catching up" in answer.text:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.module} not ready after {within_s}s; see {self.log_path}")

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

    async def restart(self, within_s: float = 60.0) -> None:
        self.start()
        await self.wait_ready(within_s)


@asynccontextmanager
async def run_ingest_process(
    kafka_bootstrap: str, database_url: str, topics: Topics, *, log_path: str | None = None,
    **overrides: Any,
) -> AsyncIterator[IngestProcess]:  # fmt: skip
    values = ingest_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    port = int(values.pop("ops_port", 0)) or ephemeral_port()
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


def notifier_settings_values(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> dict[str, Any]:
    """NotifierSettings field values for tests: development (loopback receivers allowed), a
    fresh consumer group, short polls and retry waits; plus overrides."""
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "database_url": database_url,
        "environment": "development",
        "group_id": f"notifier-test-{uuid.uuid4().hex[:8]}",
        "batch_timeout_ms": 50,
        "poll_interval_s": 0.1,
        "retry_backoff_s": 0.2,
        "retry_initial_s": 0.05,
        "retry_max_s": 0.5,
        "retry_jitter_s": 0.05,
        "request_timeout_s": 5.0,
        "topic_incident_changes": topics.incident_changes,
        "topic_notification_commands": topics.notification_commands,
        "topic_dlq": topics.dlq,
    }
    return values | overrides


@dataclass
class RunningNotifier:
    settings: Any  # guard_notifier.config.Settings
    service: Any  # guard_notifier.adapters.service.NotifierService


@asynccontextmanager
async def run_notifier(
    kafka_bootstrap: str, database_url: str, topics: Topics, **overrides: Any
) -> AsyncIterator[RunningNotifier]:
    """The notifier service in this process and event loop; stopped gracefully on exit."""
    from guard_notifier.config import Settings as NotifierSettings
    from guard_notifier.main import create_app

    settings = NotifierSettings(
        **notifier_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    )
    app, service, _ = create_app(settings)
    await app.start()
    try:
        yield RunningNotifier(settings, service)
    finally:
        await app.stop()


#: How long a notifier subprocess may take to answer /readyz (it imports more than ingest does).
NOTIFIER_READY_WITHIN_S = 90.0


@asynccontextmanager
async def run_notifier_process(
    kafka_bootstrap: str, database_url: str, topics: Topics, *, log_path: str | None = None,
    **overrides: Any,
) -> AsyncIterator[IngestProcess]:  # fmt: skip
    """``python -m guard_notifier`` as a subprocess (``kill()`` is SIGKILL), for crash tests."""
    values = notifier_settings_values(kafka_bootstrap, database_url, topics, **overrides)
    port = int(values.pop("ops_port", 0)) or ephemeral_port()
    env = dict(os.environ)
    env.update({f"GUARD_NOTIFIER_{k.upper()}": str(v) for k, v in values.items()})
    env["GUARD_NOTIFIER_OPS_PORT"] = str(port)
    path = log_path or f"/tmp/guard-notifier-{port}.log"
    proc = IngestProcess(env, port, path, module="guard_notifier")
    await proc.restart(within_s=NOTIFIER_READY_WITHIN_S)
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


_TRIGGERS = ("budget_breach", "failure_spike", "rate_limit", "content_policy",
             "policy_violation", "freeze", "manual")  # fmt: skip
_ACTIONS = ("stopped", "throttled", "frozen", "alerted")
_MODELS = ("claude-3-5-sonnet", "claude-3-haiku", "gpt-4o", "gpt-4o-mini")


@dataclass
class Workload:
    """(topic kind "cost" | "killswitch", tenant key, JSON bytes) in send order, plus the truth."""

    messages: list[tuple[str, str, bytes]]
    cost_events: int = 0
    killswitch_events: int = 0
    cost_micros: int = 0


def mixed_workload(
    n: int, *, tenants: int = 1000, killswitch_share: float = 0.1, zipf_s: float = 1.1,
    start: datetime, span: timedelta, seed: int = 7,
) -> Workload:  # fmt: skip
    """``n`` distinct events; event time grows with the index, so each tenant's stream is ordered."""
    import orjson

    rng = random.Random(seed)
    names = [f"tenant-{i:04d}" for i in range(tenants)]
    weights = list(itertools.accumulate(1 / (k + 1) ** zipf_s for k in range(tenants)))
    chosen = rng.choices(names, cum_weights=weights, k=n)
    open_switches: dict[str, list[str]] = {}
    out = Workload([])
    for i, tenant in enumerate(chosen):
        base: dict[str, Any] = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "tenant_id": tenant,
                "occurred_at": (start + span * (i / n)).isoformat()}  # fmt: skip
        if rng.random() >= killswitch_share:
            micros = rng.randint(1, 50_000)
            out.cost_events += 1
            out.cost_micros += micros
            body = base | {"event_type": "cost.recorded", "model": rng.choice(_MODELS),
                           "input_tokens": rng.randint(10, 4000), "output_tokens": rng.randint(1, 800),
                           "cost_usd": f"{micros / 1_000_000:.6f}", "run_id": f"run-{rng.randint(1, 500)}",
                           "feature_tag": f"feature-{rng.randint(1, 8)}", "user_id": f"user-{rng.randint(1, 50)}",
                           "duration_ms": rng.randint(50, 9000), "status": "ok"}  # fmt: skip
            out.messages.append(("cost", tenant, orjson.dumps(body)))
            continue
        out.killswitch_events += 1
        switches = open_switches.setdefault(tenant, [])
        if switches and rng.random() < 0.1:
            body = base | {"event_type": "killswitch.released",
                           "killswitch_id": switches.pop(rng.randrange(len(switches)))}  # fmt: skip
        else:
            killswitch_id = f"ks-{i}"
            switches.append(killswitch_id)
            body = base | {"event_type": "killswitch.triggered", "killswitch_id": killswitch_id,
                           "trigger_type": rng.choice(_TRIGGERS), "action": rng.choice(_ACTIONS),
                           "agent_id": f"agent-{rng.randint(1, 5)}", "policy_id": f"policy-{rng.randint(1, 2)}",
                           "run_id": f"run-{rng.randint(1, 500)}", "calls_affected": rng.randint(1, 20),
                           "cost_delta_usd": f"{rng.randint(0, 2_000_000) / 1_000_000:.6f}"}  # fmt: skip
        out.messages.append(("killswitch", tenant, orjson.dumps(body)))
    return out


async def produce_workload(
    bootstrap: str, topics: Topics, messages: list[tuple[str, str, bytes]]
) -> None:
    """Send with batching (keyed by tenant) and wait for every acknowledgement."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20,
                                max_batch_size=512 * 1024, acks=1)  # fmt: skip
    await producer.start()
    try:
        target = {"cost": topics.cost_events, "killswitch": topics.killswitch_events}
        pending = []
        for kind, tenant, payload in messages:
            pending.append(await producer.send(target[kind], payload, key=tenant.encode()))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
