"""The anomaly detector inside the service, on arranged daily rollups and a fixed ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from guard_contracts.enums import AnomalyType
from guard_contracts.events import anomaly_event_id
from guard_contracts.topics import Topics

from .test_analytics_pipeline import bare_service, read_keyed, settings_for

pytestmark = pytest.mark.integration
TODAY = datetime(2026, 3, 20, tzinfo=UTC)


async def arrange_daily(db: asyncpg.Connection[Any], tenant: str, dollars: list[int]) -> None:
    """One day of spend per element (feature ``search``, model ``gpt-4o``, no user), the last on
    yesterday: the per-dimension daily rows the rollup job writes for it."""
    dimensions = (
        ("tenant_id", ""),
        ("feature_tag", "search"),
        ("model", "gpt-4o"),
        ("user_id", ""),
    )
    rows = [
        (tenant, TODAY - timedelta(days=len(dollars) - i), dimension, value, d * 1_000_000)
        for i, d in enumerate(dollars)
        for dimension, value in dimensions
    ]
    await db.executemany(
        "INSERT INTO cost_rollups_dimension_daily (tenant_id, day, dimension, value, "
        "cost_micros, request_count) VALUES ($1, $2, $3, $4, $5, 1)",
        rows,
    )


async def test_yesterday_is_judged_after_the_grace_and_only_once(
    kafka_bootstrap: str,
    database_url: str,
    topics: Topics,
    tenant_id: str,
    db: asyncpg.Connection[Any],
) -> None:
    await arrange_daily(db, tenant_id, [10] * 10 + [20, 20])
    settings = settings_for(
        kafka_bootstrap,
        database_url,
        topics,
        now=TODAY + timedelta(minutes=5),
        anomaly_interval_s=3600,
        daily_detection_delay_s=600,
    )
    async with bare_service(settings) as service:
        early = await service.anomalies_once()
        service.settings.now = TODAY + timedelta(minutes=11)
        published = await service.anomalies_once()
        again = await service.anomalies_once()
    assert early == 0
    assert published >= 3  # tenant, feature and model all doubled (other tenants may add more)
    assert again == 0
    spikes = [
        m
        for m in await read_keyed(kafka_bootstrap, topics.cost_anomalies, tenant_id, 3)
        if m["anomaly_type"] == "cost_spike"
    ]
    yesterday = (TODAY - timedelta(days=1)).date().isoformat()
    assert {(m["entity_type"], m["entity_id"]) for m in spikes} == {
        ("tenant", tenant_id),
        ("feature", "search"),
        ("model", "gpt-4o"),
    }
    tenant_spike = next(m for m in spikes if m["entity_type"] == "tenant")
    assert tenant_spike["event_id"] == str(
        anomaly_event_id(tenant_id, AnomalyType.COST_SPIKE, "tenant", tenant_id, yesterday)
    )
    amounts = (tenant_spike["current_usd"], tenant_spike["expected_usd"])
    assert tuple(Decimal(a) for a in amounts) == (20, 10)
    assert tenant_spike["severity"] == "high"
    assert Decimal(tenant_spike["deviation_pct"]) == 100


async def test_a_jump_from_0_to_129_percent_fires_once_at_the_highest_level(
    kafka_bootstrap: str,
    database_url: str,
    topics: Topics,
    tenant_id: str,
    db: asyncpg.Connection[Any],
) -> None:
    """Between two checks spend goes from nothing to 129 % of the daily budget: one
    budget_exceeded, and the 80 % and 90 % warnings count as fired for the day."""
    now = TODAY + timedelta(hours=15, minutes=30)
    await db.execute(
        "INSERT INTO budgets (tenant_id, budget_type, entity_id, daily_limit_micros, "
        "warn_threshold_pct, hard_limit_enabled, event_id, occurred_at) "
        "VALUES ($1, 'tenant', $1, 10000000, 80, false, gen_random_uuid(), $2)",
        tenant_id,
        now,
    )
    settings = settings_for(kafka_bootstrap, database_url, topics, now=now,
                            anomaly_interval_s=3600, daily_detection_delay_s=43_200)  # fmt: skip
    async with bare_service(settings) as service:
        assert await service.anomalies_once() == 0  # no spend yet
        await db.execute(
            "INSERT INTO cost_rollups_hourly (tenant_id, bucket, feature_tag, model, user_id, "
            "cost_micros, request_count) VALUES ($1, $2, 'search', 'gpt-4o', '', 12900000, 1)",
            tenant_id,
            now.replace(minute=0),
        )
        await service.anomalies_once()
        await service.anomalies_once()
    (only,) = [
        m
        for m in await read_keyed(kafka_bootstrap, topics.cost_anomalies, tenant_id, 1)
        if m["entity_type"] == "tenant"
    ]
    assert only["anomaly_type"] == "budget_exceeded"
    assert Decimal(only["current_usd"]) == Decimal("12.9")
    recorded = await db.fetch(
        "SELECT anomaly_type, period FROM analytics_published_anomalies "
        "WHERE tenant_id = $1 AND entity_type = 'tenant' ORDER BY period",
        tenant_id,
    )
    day = now.date().isoformat()
    assert [(r["anomaly_type"], r["period"]) for r in recorded] == [
        ("budget_exceeded", f"daily:{day}:100"),
        ("budget_warning", f"daily:{day}:80"),
        ("budget_warning", f"daily:{day}:90"),
    ]
