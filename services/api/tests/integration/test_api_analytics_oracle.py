"""The analytics endpoints agree with a plain-Python reference computed from the raw rows.

Rows go into the real Postgres with SQL (ingest's tables), the analytics service's own rollup
jobs run, and the answers come through the real app (httpx ASGITransport).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from guard_analytics.adapters.rollup_job import catch_up, incident_cycle
from guard_storage.db import to_asyncpg_dsn

from . import analytics_oracle as oracle
from .conftest import auth

pytestmark = pytest.mark.integration

# Events sit in the first half of each hour and every "now" in the second half, so "the current
# hour as far as processed" and "up to now" hold the same events.
NOWS = [
    datetime(2026, 3, 2, 14, 45, 10, tzinfo=UTC),
    datetime(2026, 3, 15, 0, 31, tzinfo=UTC),
    datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
]
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_HOURS = 76 * 24
CATEGORIES = ["RATE_LIMIT", "BUDGET_EXCEEDED", "EXECUTION_FAILURE", "FREEZE"]
SEVERITIES = ["low", "medium", "high", "critical"]


def _cost_events(rng: random.Random, tenant: str, n: int) -> list[dict[str, Any]]:
    events = []
    for _ in range(n):
        hour = START + timedelta(hours=rng.randrange(SPAN_HOURS))
        at = hour + timedelta(minutes=rng.randrange(30), seconds=rng.randrange(60))
        events.append(
            {
                "tenant_id": tenant,
                "event_id": uuid.UUID(int=rng.getrandbits(128)),
                "occurred_at": at,
                "user_id": rng.choice([None, *(f"u{k}" for k in range(1, 15))]),  # > 10 listed
                "feature_tag": rng.choice([None, "search", "chat", "summarise"]),
                "model": rng.choice(["claude-3-haiku", "gpt-4o", "claude-sonnet-4"]),
                "input_tokens": rng.randrange(1000),
                "output_tokens": rng.randrange(500),
                "cost_micros": rng.randrange(1, 2_000_000),
            }
        )
    # A burst in the last days so trends are not all "normal".
    for _ in range(40):
        at = datetime(2026, 3, 2, rng.randrange(14), rng.randrange(30), tzinfo=UTC)
        events.append(
            {
                **events[0],
                "event_id": uuid.UUID(int=rng.getrandbits(128)),
                "occurred_at": at,
                "feature_tag": "search",
                "cost_micros": 3_000_000,
            }
        )
    return events


def _incidents(rng: random.Random, tenant: str, n: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for k in range(n):
        created = START + timedelta(seconds=rng.randrange(SPAN_HOURS * 3600))
        if k % 7 == 0:  # a few in the last hour before the first "now"
            created = NOWS[0] - timedelta(minutes=rng.randrange(55))
        state = rng.choice(["ACTIVE", "ACKED", "RESOLVED", "RESOLVED"])
        acked = created + timedelta(seconds=rng.randrange(1, 20000)) if state != "ACTIVE" else None
        resolved = (
            created + timedelta(seconds=rng.randrange(60, 400000), milliseconds=rng.randrange(1000))
            if state == "RESOLVED"
            else None
        )
        fp = f"fp-{rng.randrange(6)}"
        rows.append(
            {
                "incident_id": uuid.UUID(int=rng.getrandbits(128)),
                "tenant_id": tenant,
                "lifecycle_state": state,
                "severity": rng.choice(SEVERITIES),
                "category": rng.choice(CATEGORIES),
                "cause_type": rng.choice(["SYSTEM", "LLM_RUN", "HUMAN"]),
                "fingerprint": fp,
                "llm_run_id": rng.choice([None, None, "run-1", "run-2", "run-3"]),
                "cost_impact_micros": rng.choice([0, rng.randrange(1, 50_000_000)]),
                "created_at": created,
                "acked_at": acked,
                "resolved_at": resolved,
                "resolution_method": rng.choice(["manual", "auto", "released"])
                if resolved
                else None,
                "recurrence_of": rows[-1]["incident_id"] if rows and rng.random() < 0.3 else None,
                "contained_at": created + timedelta(seconds=rng.randrange(1, 900))
                if rng.random() < 0.4
                else None,
            }
        )
    return rows


async def _insert(
    db: asyncpg.Connection[Any], events: list[dict[str, Any]], incs: list[dict[str, Any]]
) -> None:
    cols = list(events[0])
    await db.copy_records_to_table(
        "cost_events", records=[tuple(e[c] for c in cols) for e in events], columns=cols
    )
    extra = {
        "title": "t",
        "description": "d",
        "source_type": "killswitch",
        "calls_affected": 1,
        "event_count": 1,
    }
    for inc in incs:
        row = {
            **inc,
            **extra,
            "first_event_at": inc["created_at"],
            "last_event_at": inc["created_at"],
            "updated_at": inc["created_at"],
        }
        names = ", ".join(row)
        marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        await db.execute(f"INSERT INTO incidents ({names}) VALUES ({marks})", *row.values())


async def _rollup(database_url: str) -> None:
    pool = await asyncpg.create_pool(to_asyncpg_dsn(database_url), min_size=1, max_size=2)
    assert pool is not None
    clock = lambda: datetime.now(UTC)  # noqa: E731
    try:
        await catch_up(pool, clock)
        async with pool.acquire() as conn:
            await incident_cycle(conn, clock)
    finally:
        await pool.close()


def _strip(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"generated_at", "last_updated", *keys}}


@pytest.fixture
async def arranged(
    db: asyncpg.Connection[Any], database_url: str, tenant_id: str
) -> dict[str, Any]:
    rng = random.Random(tenant_id)
    events, incs = _cost_events(rng, tenant_id, 1500), _incidents(rng, tenant_id, 160)
    await _insert(db, events, incs)
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
    await _rollup(database_url)
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
        got = await _get(
            client,
            tenant_id,
            f"{base}/recurring",
            baseline_days=days,
            recurrence_threshold=th,
            now=now,
        )
        assert _strip(got) == oracle.recurring(incs, now, days, th, 20)
        # Only the listed groups are folded in full: a short list cuts through groups of equal
        # totals, which rank by category, then fingerprint.
        for limit in (1, 4):
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
