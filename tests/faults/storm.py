"""The event storm of the fault suite: a generator, service runs, and per-tenant snapshots."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson

from guard_contracts.topics import Topics
from guard_devtools.infra_common import ephemeral_port
from guard_devtools.services import (
    IngestProcess,
    eventually,
    produce_workload,
    run_ingest_process,
)
from guard_devtools.testing import unique_topics
from guard_storage.db import to_asyncpg_dsn
from guard_storage.migrate import upgrade

from .private_infra import PrivateKafka, PrivatePostgres

INCIDENT_FIELDS = (
    "incident_id", "fingerprint", "calls_affected", "event_count", "severity", "lifecycle_state",
    "resolved_at", "resolution_method", "recurrence_of", "created_at", "last_event_at",
    "timeline_length", "timeline_head",
)  # fmt: skip


@dataclass
class Storm:
    messages: list[tuple[str, str, bytes]] = field(default_factory=list)
    tenants: list[str] = field(default_factory=list)
    cost_events: int = 0
    killswitch_events: int = 0

    @property
    def total(self) -> int:
        return self.cost_events + self.killswitch_events


def storm(
    *, tenants: int, per_tenant: int, start: datetime, span: timedelta,
    late_s: float = 0.0, seed: int = 9,
) -> Storm:  # fmt: skip
    """Killswitch and cost events for ``tenants`` tenants spread over ``span`` of event time.

    Sent in event-time order across tenants, except that a fifth of the events carry an
    ``occurred_at`` up to ``late_s`` earlier than their place in the stream (late, but within
    the allowed lateness when ``late_s`` is below it). Few fingerprints per tenant, so events
    join incidents, incidents go idle and come back, and the hourly flood cap is reached.
    """
    rng = random.Random(seed)
    out = Storm(tenants=[f"storm-{i:03d}" for i in range(tenants)])
    nominal = sorted(
        (rng.uniform(0, span.total_seconds()), tenant)
        for tenant in out.tenants
        for _ in range(per_tenant)
    )
    open_switches: dict[str, list[str]] = {}
    for n, (offset, tenant) in enumerate(nominal):
        late = rng.uniform(0, late_s) if rng.random() < 0.2 else 0.0
        base: dict[str, Any] = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "tenant_id": tenant,
            "occurred_at": (start + timedelta(seconds=offset - late)).isoformat(),
        }
        if rng.random() < 0.55:
            micros = rng.randint(1, 90_000)
            body = base | {"event_type": "cost.recorded", "model": rng.choice(["m-a", "m-b"]),
                           "input_tokens": rng.randint(1, 900), "output_tokens": rng.randint(1, 90),
                           "cost_usd": f"{micros / 1_000_000:.6f}",
                           "feature_tag": f"f{rng.randint(1, 3)}"}  # fmt: skip
            out.cost_events += 1
            out.messages.append(("cost", tenant, orjson.dumps(body)))
            continue
        switches = open_switches.setdefault(tenant, [])
        if switches and rng.random() < 0.12:
            body = base | {"event_type": "killswitch.released",
                           "killswitch_id": switches.pop(rng.randrange(len(switches)))}  # fmt: skip
        else:
            switches.append(f"ks-{n}")
            body = base | {"event_type": "killswitch.triggered", "killswitch_id": f"ks-{n}",
                           "trigger_type": rng.choice(["failure_spike", "rate_limit", "budget_breach"]),
                           "action": "stopped", "policy_id": "p1",
                           "agent_id": f"agent-{rng.randint(1, 2)}",
                           "calls_affected": rng.randint(1, 15)}  # fmt: skip
        out.killswitch_events += 1
        out.messages.append(("killswitch", tenant, orjson.dumps(body)))
    return out


async def new_database(postgres: PrivatePostgres, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(to_asyncpg_dsn(postgres.url()))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = postgres.url(name)
    await asyncio.to_thread(upgrade, url)
    return url


async def new_topics(kafka: PrivateKafka) -> Topics:
    topics = unique_topics("faults")
    await kafka.create_topics(topics)
    return topics


def analytics_process(
    kafka: str, database_url: str, topics: Topics, log_path: str
) -> IngestProcess:
    """``python -m guard_analytics`` on these servers and topics (fresh consumer group)."""
    port = ephemeral_port()
    values = {
        "kafka_bootstrap_servers": kafka, "database_url": database_url, "ops_port": port,
        "incident_group_id": f"analytics-faults-{uuid.uuid4().hex[:8]}",
        "topic_incident_changes": topics.incident_changes,
        "topic_cost_anomalies": topics.cost_anomalies,
        "topic_analytics_results": topics.analytics_results, "retry_backoff_s": 0.2,
    }  # fmt: skip
    env = dict(os.environ) | {f"GUARD_ANALYTICS_{k.upper()}": str(v) for k, v in values.items()}
    return IngestProcess(env, port, log_path, module="guard_analytics")


@asynccontextmanager
async def services(
    kafka: str, database_url: str, topics: Topics, log_dir: str, name: str, **ingest: Any
) -> AsyncIterator[tuple[IngestProcess, IngestProcess]]:
    """Analytics, then ingest, as real processes; both stopped (SIGTERM) on exit."""
    analytics = analytics_process(kafka, database_url, topics, f"{log_dir}/{name}-analytics.log")
    await analytics.restart()
    try:
        async with run_ingest_process(kafka, database_url, topics,
                                      log_path=f"{log_dir}/{name}-ingest.log", **ingest) as proc:  # fmt: skip
            yield proc, analytics
    finally:
        if analytics.proc is not None and analytics.proc.poll() is None:
            analytics.terminate()


async def killswitch_stored(database_url: str) -> int:
    """Killswitch events stored so far (the slower path; 0 while the database is unreachable)."""
    try:
        conn = await asyncpg.connect(to_asyncpg_dsn(database_url), timeout=2)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return 0
    try:
        return int(await conn.fetchval("SELECT count(*) FROM killswitch_events"))
    finally:
        await conn.close()


async def settled(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM cost_events) + (SELECT count(*) FROM killswitch_events) "
            "AS stored, (SELECT count(*) FROM incidents WHERE lifecycle_state <> 'RESOLVED') AS open, "
            "(SELECT count(*) FROM outbox) AS outbox, "
            "(SELECT coalesce(sum(cost_micros), 0) FROM cost_events) AS spend, "
            "(SELECT coalesce(sum(cost_micros), 0) FROM cost_rollups_dimension_daily "
            "WHERE dimension = 'tenant_id') AS rolled_up"
        )
        return dict(row)  # fmt: skip
    finally:
        await conn.close()


async def wait_settled(database_url: str, expected: int, within_s: float = 120.0) -> None:
    """Every event stored, every incident resolved, the outbox empty, analytics caught up."""
    await eventually(lambda: settled(database_url), lambda s: s["stored"] >= expected
                     and s["open"] == 0 and s["outbox"] == 0 and s["spend"] == s["rolled_up"],
                     within_s=within_s)  # fmt: skip


async def snapshot(database_url: str) -> dict[str, Any]:
    """Per tenant: its incidents (fields that must not depend on faults or batch cuts) and spend."""
    conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        incidents: dict[str, list[tuple[Any, ...]]] = {}
        for r in await conn.fetch(f"SELECT tenant_id, {', '.join(INCIDENT_FIELDS)} FROM incidents "
                                  "ORDER BY tenant_id, created_at, incident_id"):  # fmt: skip
            incidents.setdefault(r["tenant_id"], []).append(tuple(r)[1:])
        timeline = {r["tenant_id"]: r["n"] for r in await conn.fetch(
            "SELECT tenant_id, count(*) AS n FROM incident_events GROUP BY tenant_id")}  # fmt: skip
        spend = {r["tenant_id"]: (r["micros"], r["n"]) for r in await conn.fetch(
            "SELECT tenant_id, sum(cost_micros) AS micros, count(*) AS n FROM cost_events "
            "GROUP BY tenant_id")}  # fmt: skip
        rollups = {r["tenant_id"]: r["micros"] for r in await conn.fetch(
            "SELECT tenant_id, sum(cost_micros) AS micros FROM cost_rollups_dimension_daily "
            "WHERE dimension = 'tenant_id' GROUP BY tenant_id")}  # fmt: skip
        return {"incidents": incidents, "timeline": timeline, "spend": spend, "rollups": rollups}
    finally:
        await conn.close()


async def produce(kafka: str, topics: Topics, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.monotonic()
    await produce_workload(kafka, topics, messages)
    return time.monotonic() - started
