"""Two ingest replicas in one consumer group give the same incidents and spend as one process.

Ingest scales out as a Kafka consumer group (docs/architecture.md): a tenant's events are keyed by
tenant, so each partition, and with it each tenant, belongs to one replica at a time, and a
rebalance hands over partitions whose uncommitted batches are delivered again (and skipped as
duplicates). This test runs the same stream (4 partitions per topic, 120 tenants, cost and
killswitch events) twice, on the real broker and PostgreSQL:

- replicas: replica A starts alone with small batches; once a fifth of the killswitch events are
  stored, replica B joins the group (a rebalance while A is mid-stream), then the rest of the
  stream is published and both consume it;
- reference: one process, default batch sizes, same events, its own group and database.

Every incident (id, state, severity, fingerprint, counts, cost, times, recurrence, timeline
length and head), every timeline entry's hash, every killswitch event's incident and every
tenant's spend must be identical, and both replicas must have applied events.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from guard_devtools.services import (
    eventually,
    mixed_workload,
    produce_workload,
    run_ingest,
    run_ingest_process,
)
from guard_devtools.testing import Servers, create_topics, fresh_databases, unique_topics
from guard_storage.db import to_asyncpg_dsn

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EVENTS = 12_000
TENANTS = 120
INCIDENT_COLUMNS = (
    "incident_id, tenant_id, lifecycle_state, severity, category, fingerprint, event_count, "
    "calls_affected, cost_impact_micros, created_at, first_event_at, last_event_at, resolved_at, "
    "resolved_by, resolution_method, recurrence_of, contained_at, timeline_length, "
    "timeline_head, updated_at"
)


@pytest.fixture(scope="module")
def two_databases(servers: Servers) -> Iterator[tuple[str, str]]:
    """Fresh, migrated databases for the replicas run and the reference run."""
    with fresh_databases(servers.database_url, "guard_replicas", 2) as (replicas, reference):
        yield replicas, reference


async def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _stored(url: str) -> tuple[int, int]:
    """(cost events, killswitch events) stored."""
    rows = await _query(url, "SELECT (SELECT count(*) FROM cost_events), "
                             "(SELECT count(*) FROM killswitch_events)")  # fmt: skip
    return int(rows[0][0]), int(rows[0][1])


async def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "incidents": await _query(url, f"SELECT {INCIDENT_COLUMNS} FROM incidents "
                                       "ORDER BY incident_id"),
        "timeline": await _query(url, "SELECT incident_id, sequence, entry_type, occurred_at, "
                                      "hash FROM incident_events ORDER BY incident_id, sequence"),
        "killswitch": await _query(url, "SELECT tenant_id, event_id, incident_id "
                                        "FROM killswitch_events ORDER BY tenant_id, event_id"),
        "spend": await _query(url, "SELECT tenant_id, count(*), count(DISTINCT event_id), "
                                   "sum(cost_micros) FROM cost_events GROUP BY tenant_id "
                                   "ORDER BY tenant_id"),
    }  # fmt: skip


async def _members(bootstrap: str, group: str) -> tuple[int, int]:
    """Members of the (cost, incidents) consumer groups once each is stable, else (0, 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        counts = []
        for suffix in ("cost", "incidents"):
            [response] = await admin.describe_consumer_groups([f"{group}.{suffix}"])
            [(_, _, state, _, _, members, *_)] = response.groups
            counts.append(len(members) if state == "Stable" else 0)
        return counts[0], counts[1]
    finally:
        await admin.close()


async def _consumed(ops_port: int) -> float:
    """Records this replica consumed (all topics), from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{ops_port}/metrics")).text
    return sum(float(v) for v in re.findall(r"^guard_ingest_consumed_total\{.*\} (\S+)$", text,
                                            flags=re.MULTILINE))  # fmt: skip


async def test_two_replicas_in_one_group_equal_one_process(
    kafka_bootstrap: str, two_databases: tuple[str, str], tmp_path: Any
) -> None:
    replicas_url, reference_url = two_databases
    topics = unique_topics("replicas")
    await create_topics(kafka_bootstrap, topics, partitions=4)
    work = mixed_workload(EVENTS, tenants=TENANTS, killswitch_share=0.3, zipf_s=0.8,
                          start=datetime.now(UTC) - timedelta(minutes=30),
                          span=timedelta(minutes=25))  # fmt: skip
    half = EVENTS // 2
    await produce_workload(kafka_bootstrap, topics, work.messages[:half])

    group = f"ingest-replicas-{uuid.uuid4().hex[:8]}"
    small = {"group_id": group, "incident_max_records": 10, "cost_max_records": 100}
    async with run_ingest_process(kafka_bootstrap, replicas_url, topics, **small,
                                  log_path=str(tmp_path / "a.log")) as a:  # fmt: skip
        await eventually(lambda: _stored(replicas_url),
                         lambda n: n[1] >= work.killswitch_events // 10, within_s=60)  # fmt: skip
        async with run_ingest_process(kafka_bootstrap, replicas_url, topics, **small,
                                      log_path=str(tmp_path / "b.log")) as b:  # fmt: skip
            joined_at = await _stored(replicas_url)
            # the rest of the stream once B owns partitions (two cost consumers per replica)
            await eventually(lambda: _members(kafka_bootstrap, group), lambda m: m == (4, 2),
                             within_s=60)  # fmt: skip
            await produce_workload(kafka_bootstrap, topics, work.messages[half:])
            await eventually(lambda: _stored(replicas_url),
                             lambda n: n == (work.cost_events, work.killswitch_events),
                             within_s=90)  # fmt: skip
            consumed = await _consumed(a.ops_port), await _consumed(b.ops_port)
            assert b.terminate() == 0
        assert a.terminate() == 0
    # B joined while A was mid-stream, and both replicas took part
    assert 0 < joined_at[1] < work.killswitch_events
    assert min(consumed) > EVENTS / 10, consumed
    assert sum(consumed) >= EVENTS

    async with run_ingest(kafka_bootstrap, reference_url, topics):
        await eventually(lambda: _stored(reference_url),
                         lambda n: n == (work.cost_events, work.killswitch_events),
                         within_s=90)  # fmt: skip

    replicas, reference = await _snapshot(replicas_url), await _snapshot(reference_url)
    assert len(reference["incidents"]) > TENANTS
    assert {i[2] for i in reference["incidents"]} == {"ACTIVE", "RESOLVED"}
    assert len(reference["spend"]) == TENANTS
    assert sum(row[3] for row in reference["spend"]) == work.cost_micros
    for key in ("incidents", "timeline", "killswitch", "spend"):
        assert replicas[key] == reference[key], key
