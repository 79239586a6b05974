"""The analytics endpoints agree with a plain-Python reference computed from the raw rows.

Rows go into the real Postgres with SQL (ingest's tables), the analytics service's own rollup
jobs run, and the answers come through the real app (httpx ASGITransport).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from . import analytics_oracle as oracle
from .analytics_seed import NOWS, START, cost_events, incidents, insert, rollup
from .conftest import auth

pytestmark = pytest.mark.integration


def _strip(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"generated_at", "last_updated", *keys}}


@pytest.fixture
async def arranged(
    db: asyncpg.Connection[Any], database_url: str, tenant_id: str
) -> dict[str, Any]:
    rng = random.Random(tenant_id)
    events, incs = cost_events(rng, tenant_id, 1500), incidents(rng, tenant_id, 160)
    await insert(db, events, incs)
    budget = {"daily_limit_micros": 40_000_000, "monthly_limit_micros": 900_000_000}
    await db.execute(
        "INSERT INTO budgets (tenant_id, budget_type, entity_id, daily_limit_micros, "
        "monthly_limit_micros, warn_threshold_pct, hard_limit_enabled, event_id, occurred_at) "
        "VALUES ($1, 'tenant', $1, $2, $3, 80, true, $4, $5)",
        tenant_id,
        budget["daily_limit_micros"],
        budget["monthly_limit_micros"],
        uuid.uuid4(),
        START,
    )
    await rollup(database_url)
    return {"events": events, "incidents": incs, "budget": budget}


async def _get(client: httpx.AsyncClient, tenant: str, path: str, **params: Any) -> dict[str, Any]:
    params = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items()}
    response = await client.get(path, params=params, headers=auth(tenant))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("now", NOWS)
async def test_incident_analytics_match_the_reference(
    client: httpx.AsyncClient, arranged: dict[str, Any], tenant_id: str, now: datetime
) -> None:
    incs = arranged["incidents"]
    base = "/api/v1/incidents"
    for hours, limit in ((1, 10), (24, 2), (168, 50)):
        got = await _get(
            client, tenant_id, f"{base}/patterns", window_hours=hours, limit=limit, now=now
        )
        assert _strip(got) == oracle.patterns(incs, now, hours, limit)
    for days, th in ((1, 2), (30, 3), (90, 2)):
        # Only the listed groups are folded in full: a short list cuts through groups of equal
        # totals, which rank by category, then fingerprint.
        for limit in (20, 1, 4):
            got = await _get(
                client,
                tenant_id,
                f"{base}/recurring",
                baseline_days=days,
                recurrence_threshold=th,
                limit=limit,
                now=now,
            )
            assert _strip(got) == oracle.recurring(incs, now, days, th, limit)
        got = await _get(
            client, tenant_id, f"{base}/cost-impact", baseline_days=days, limit=3, now=now
        )
        assert _strip(got) == oracle.cost_impact(incs, now, days, 3)
        got = await _get(client, tenant_id, f"{base}/metrics", window_days=days, now=now)
        assert _strip(got, "definitions") == oracle.metrics(incs, now, days)


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("granularity", ["day", "week", "month"])
async def test_historical_match_the_reference(
    client: httpx.AsyncClient,
    arranged: dict[str, Any],
    tenant_id: str,
    now: datetime,
    granularity: str,
) -> None:
    incs = arranged["incidents"]
    for days in (7, 45, 365):
        for kind in ("trend", "distribution", "cost-trend"):
            got = await _get(
                client,
                tenant_id,
                f"/api/v1/incidents/historical/{kind}",
                window_days=days,
                granularity=granularity,
                now=now,
            )
            assert _strip(got) == oracle.historical(kind, incs, now, days, granularity), (
                kind,
                days,
            )


@pytest.mark.parametrize("now", NOWS)
async def test_costs_match_the_reference(
    client: httpx.AsyncClient, arranged: dict[str, Any], tenant_id: str, now: datetime
) -> None:
    events = arranged["events"]
    got = await _get(client, tenant_id, "/guard/costs/summary", tenant_id=tenant_id, now=now)
    want = oracle.summary(events, now, arranged["budget"])
    assert {k: got[k] for k in want} == want
    for period in ("today", "7d", "30d"):
        got = await _get(client, tenant_id, "/guard/costs/explained", period=period, now=now)
        want = oracle.explained(events, now, period)
        trimmed = {k: got[k] for k in want}
        for dim in ("feature", "model", "user"):
            trimmed[f"by_{dim}"] = [
                {k: item[k] for k in ("name", "spend_cents", "requests", "pct", "trend")}
                for item in got[f"by_{dim}"]
            ]
        assert trimmed == want, period


async def test_a_tenant_without_data_gets_zeros_and_filled_buckets(
    client: httpx.AsyncClient, tenant_id: str
) -> None:
    now = NOWS[0]
    got = await _get(
        client,
        tenant_id,
        "/api/v1/incidents/historical/trend",
        window_days=30,
        granularity="week",
        now=now,
    )
    assert _strip(got) == oracle.historical("trend", [], now, 30, "week")
    assert all(p["incident_count"] == 0 for p in got["points"])
    assert len(got["points"]) == 6
    summary = await _get(client, tenant_id, "/guard/costs/summary", now=now)
    assert summary["today_cents"] == 0
    assert summary["days_until_budget_exhausted"] is None
    assert summary["baseline_7d_avg_cents"] is None
    assert summary["trend"] == "normal"
    metrics = await _get(client, tenant_id, "/api/v1/incidents/metrics", now=now)
    assert metrics["total_count"] == 0
    assert metrics["sla_compliance_rate"] is None
