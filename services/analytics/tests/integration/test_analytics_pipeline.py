"""The analytics job end to end: cost events on Kafka → real ingest → rollups → anomalies.

Everything runs against the real Kafka and Postgres; the analytics service runs in-process with
short intervals. The test database is shared by the session, so every assertion is per tenant.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker

from guard_analytics.adapters.service import AnalyticsService
from guard_analytics.config import Settings as AnalyticsSettings
from guard_analytics.drivers.publisher import Publisher
from guard_analytics.main import create_app
from guard_contracts.enums import AnomalyType
from guard_contracts.events import anomaly_event_id
from guard_contracts.topics import Topics
from guard_devtools.services import RunningIngest, eventually

pytestmark = pytest.mark.integration


def settings_for(kafka: str, database_url: str, topics: Topics, **kw: Any) -> AnalyticsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "database_url": database_url,
        "cost_interval_s": 0.05,
        "incident_interval_s": 0.2,
        "anomaly_interval_s": 0.2,
        "topic_cost_anomalies": topics.cost_anomalies,
        "topic_incident_changes": topics.incident_changes,
        "incident_group_id": f"analytics-test-{uuid.uuid4().hex[:8]}",
        "batch_timeout_ms": 50,
        "topic_analytics_results": topics.analytics_results,
    }
    return AnalyticsSettings(**(values | kw))


@asynccontextmanager
async def running_analytics(settings: AnalyticsSettings) -> AsyncIterator[AnalyticsService]:
    app, service, _ = create_app(settings)
    await app.start()
    try:
        yield service
    finally:
        await app.stop()


@asynccontextmanager
async def bare_service(settings: AnalyticsSettings) -> AsyncIterator[AnalyticsService]:
    """The service without its loops, so only the test's calls take the job locks."""
    broker = KafkaBroker(settings.kafka_bootstrap_servers)
    await broker.start()
    service = AnalyticsService(settings, Publisher(broker))
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await broker.stop()


def cost_event(tenant: str, at: datetime, usd: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "cost.recorded",
        "tenant_id": tenant,
        "occurred_at": at.isoformat(),
        "model": "claude-3-haiku",
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_usd": usd,
    } | fields


async def produce(kafka: str, topic: str, tenant: str, messages: list[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=10)
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(topic, json.dumps(message).encode(), key=tenant.encode())
    finally:
        await producer.stop()


async def read_keyed(kafka: str, topic: str, key: str, expected: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found += [json.loads(r.value) for r in records if r.key == key.encode()]
    finally:
        await consumer.stop()
    return found


async def tenant_rollups(db: asyncpg.Connection[Any], tenant: str) -> tuple[int, int, int]:
    """(hourly spend, daily spend, hourly request count) of one tenant."""
    hourly = await db.fetchrow(
        "SELECT coalesce(sum(cost_micros), 0) AS c, coalesce(sum(request_count), 0) AS n "
        "FROM cost_rollups_hourly WHERE tenant_id = $1",
        tenant,
    )
    daily = await db.fetchval(
        "SELECT coalesce(sum(cost_micros), 0) FROM cost_rollups_dimension_daily "
        "WHERE tenant_id = $1 AND dimension = 'tenant_id'",
        tenant,
    )
    assert hourly is not None
    return int(hourly["c"]), int(daily), int(hourly["n"])


async def test_cost_events_roll_up_and_a_budget_breach_reaches_ingest(
    kafka_bootstrap: str,
    database_url: str,
    topics: Topics,
    tenant_id: str,
    db: asyncpg.Connection[Any],
    ingest_service: RunningIngest,
) -> None:
    now = datetime.now(UTC)
    budget = {
        "event_id": str(uuid.uuid4()),
        "event_type": "budget.set",
        "tenant_id": tenant_id,
        "occurred_at": now.isoformat(),
        "budget_type": "tenant",
        "entity_id": tenant_id,
        "daily_limit_usd": "1.00",
        "hard_limit_enabled": True,
    }
    await produce(kafka_bootstrap, topics.budgets, tenant_id, [budget])
    costs = [cost_event(tenant_id, now - timedelta(minutes=1), "0.50") for _ in range(3)]
    costs.append(cost_event(tenant_id, now - timedelta(days=3), "0.25", feature_tag="search"))
    await produce(kafka_bootstrap, topics.cost_events, tenant_id, costs)
    await eventually(
        lambda: db.fetchval("SELECT count(*) FROM cost_events WHERE tenant_id = $1", tenant_id),
        lambda n: n == 4,
    )
    await eventually(
        lambda: db.fetchval("SELECT count(*) FROM budgets WHERE tenant_id = $1", tenant_id),
        lambda n: n == 1,
    )

    settings = settings_for(kafka_bootstrap, database_url, topics)
    async with running_analytics(settings):
        rolled = await eventually(
            lambda: tenant_rollups(db, tenant_id), lambda r: r[0] == 1_750_000, within_s=30
        )
        # ≥ 100 % of the daily limit with a hard limit: budget_exceeded, critical → an incident.
        incident = await eventually(
            lambda: db.fetchrow(
                "SELECT category, severity, cost_impact_micros FROM incidents "
                "WHERE tenant_id = $1 AND category = 'COST_ANOMALY' AND severity = 'critical'",
                tenant_id,
            ),
            lambda row: row is not None,
            within_s=30,
        )
    assert rolled == (1_750_000, 1_750_000, 4)
    assert incident is not None
    assert incident["cost_impact_micros"] == 500_000  # 1.50 spent − 1.00 limit

    # Spend jumped past 80, 90 and 100 % before the first check: one anomaly, at the highest
    # level; the two warnings count as fired for the day (docs/notifications.md).
    published = await read_keyed(kafka_bootstrap, topics.cost_anomalies, tenant_id, 1)
    by_type = {(m["anomaly_type"], m["event_id"]) for m in published}
    exceeded = anomaly_event_id(
        tenant_id,
        AnomalyType.BUDGET_EXCEEDED,
        "tenant",
        tenant_id,
        f"daily:{now.date().isoformat()}:100",
    )
    assert ("budget_exceeded", str(exceeded)) in by_type
    assert {t for t, _ in by_type} == {"budget_exceeded"}
    fired = await db.fetch(
        "SELECT period FROM analytics_published_anomalies WHERE tenant_id = $1 "
        "AND entity_type = 'tenant' ORDER BY period",
        tenant_id,
    )
    day = now.date().isoformat()
    assert [r["period"] for r in fired] == [f"daily:{day}:{lvl}" for lvl in (100, 80, 90)]
    announced = await read_keyed(kafka_bootstrap, topics.analytics_results, "cost", 1)
    assert announced[0]["event_type"] == "analytics.snapshot_completed"

    # A second run of the detector (another replica, a restart) publishes nothing new.
    async with bare_service(settings) as again:
        assert await again.anomalies_once() == 0


def killswitch(tenant: str, kind: str, killswitch_id: str, at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": f"killswitch.{kind}",
        "tenant_id": tenant,
        "occurred_at": at.isoformat(),
        "killswitch_id": killswitch_id,
    }
    if kind == "triggered":
        body |= {"trigger_type": "failure_spike", "action": "stopped", "policy_id": "p1"}
    return body


async def incident_rollup(db: asyncpg.Connection[Any], tenant: str) -> tuple[int, int]:
    row = await db.fetchrow(
        "SELECT coalesce(sum(created_count), 0) AS c, coalesce(sum(resolved_count), 0) AS r "
        "FROM incident_rollups_daily WHERE tenant_id = $1",
        tenant,
    )
    assert row is not None
    return int(row["c"]), int(row["r"])


async def test_incident_changes_refresh_only_their_buckets(
    kafka_bootstrap: str,
    database_url: str,
    topics: Topics,
    tenant_id: str,
    db: asyncpg.Connection[Any],
    ingest_service: RunningIngest,
) -> None:
    # The whole-table reconciliation runs once at start-up, before any of these incidents exist;
    # after that only the incident-change topic can bring them into the rollup.
    settings = settings_for(kafka_bootstrap, database_url, topics, incident_interval_s=3600)
    now = datetime.now(UTC)
    async with running_analytics(settings):
        await asyncio.sleep(1.0)
        opened = [
            killswitch(tenant_id, "triggered", "ks-1", now - timedelta(hours=2)),
            killswitch(tenant_id, "triggered", "ks-2", now - timedelta(minutes=1)),
        ]
        await produce(kafka_bootstrap, topics.killswitch_events, tenant_id, opened)
        # The two-hour-old incident is idle past its 900 s timeout when the second event comes,
        # so ingest sees it auto-resolved.
        assert await eventually(
            lambda: incident_rollup(db, tenant_id), lambda r: r == (2, 1), within_s=30
        )
        released = killswitch(tenant_id, "released", "ks-2", now)
        await produce(kafka_bootstrap, topics.killswitch_events, tenant_id, [released])
        assert await eventually(
            lambda: incident_rollup(db, tenant_id), lambda r: r == (2, 2), within_s=30
        )
    # Resolved after 900 s (the idle timeout) and after 60 s; the two may fall on two UTC days.
    resolution_us = await db.fetchval(
        "SELECT sum(resolution_us_sum) FROM incident_rollups_daily WHERE tenant_id = $1",
        tenant_id,
    )
    assert resolution_us == 960_000_000
