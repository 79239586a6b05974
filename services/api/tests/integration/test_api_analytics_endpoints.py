"""Analytics and cost endpoints: parameter bounds, error codes and the anomaly list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from .analytics_seed import anomaly
from .conftest import InsertIncident, auth

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


async def test_an_unknown_granularity_is_400_invalid_granularity(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for kind in ("trend", "distribution", "cost-trend"):
        response = await client.get(
            f"/api/v1/incidents/historical/{kind}", params={"granularity": "year"}, headers=headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_granularity"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/incidents/patterns", {"window_hours": 169}),
        ("/api/v1/incidents/patterns", {"limit": 0}),
        ("/api/v1/incidents/recurring", {"recurrence_threshold": 1}),
        ("/api/v1/incidents/recurring", {"baseline_days": 91}),
        ("/api/v1/incidents/cost-impact", {"limit": 51}),
        ("/api/v1/incidents/metrics", {"window_days": 0}),
        ("/api/v1/incidents/historical/trend", {"window_days": 6}),
        ("/api/v1/incidents/historical/cost-trend", {"window_days": 366}),
        ("/guard/costs/explained", {"period": "90d"}),
        ("/guard/costs/incidents", {"limit": 101}),
        ("/api/v1/incidents/metrics", {"now": "2026-03-01T00:00:00"}),  # naive time
        ("/api/v1/incidents/historical/trend", {"now": "0001-01-01T00:00:00+00:00"}),
        ("/guard/costs/summary", {"now": "9999-12-31T23:59:59+00:00"}),
    ],
)
async def test_out_of_bounds_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, params: dict[str, Any]
) -> None:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == next(iter(params))


async def test_costs_refuse_another_tenants_id(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in ("summary", "explained", "incidents"):
        response = await client.get(
            f"/guard/costs/{path}", params={"tenant_id": "someone-else"}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "tenant_mismatch"


async def test_analytics_need_a_token(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/incidents/metrics", "/guard/costs/summary"):
        response = await client.get(path)
        assert response.status_code == 401


async def test_cost_incidents_list_statuses_newest_first(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    tenant_id: str,
    insert_incident: InsertIncident,
) -> None:
    resolved_incident = await insert_incident(
        tenant_id, lifecycle_state="RESOLVED", resolved_at=NOW - timedelta(minutes=5),
        category="COST_ANOMALY", created_at=NOW - timedelta(hours=3),
    )  # fmt: skip
    await db.execute(
        "INSERT INTO budgets (tenant_id, budget_type, entity_id, daily_limit_micros, "
        "monthly_limit_micros, warn_threshold_pct, hard_limit_enabled, event_id, occurred_at) "
        "VALUES ($1, 'tenant', $1, 10000000, NULL, 80, true, $2, $3)",
        tenant_id, uuid.uuid4(), NOW - timedelta(days=10),
    )  # fmt: skip
    spike = await anomaly(db, tenant_id)
    exceeded = await anomaly(
        db, tenant_id, anomaly_type="budget_exceeded", entity_type="tenant", entity_id=tenant_id,
        current_micros=12_500_000, threshold=Decimal("10"), detected_at=NOW - timedelta(minutes=30),
    )  # fmt: skip
    closed = await anomaly(
        db, tenant_id, incident_id=resolved_incident, detected_at=NOW - timedelta(hours=2)
    )
    ended = await anomaly(
        db, tenant_id, anomaly_type="cost_drift", window_end=NOW - timedelta(days=1),
        detected_at=NOW - timedelta(days=3),
    )  # fmt: skip
    await anomaly(db, tenant_id, detected_at=NOW - timedelta(days=31))  # too old
    await anomaly(db, "other-tenant-" + tenant_id)
    params = {"now": NOW.isoformat(), "tenant_id": tenant_id}

    response = await client.get("/guard/costs/incidents", params=params, headers=auth(tenant_id))
    body = response.json()
    assert [i["id"] for i in body["incidents"]] == [str(exceeded), str(spike)]
    first, second = body["incidents"]
    assert (first["status"], first["current_cents"], first["threshold_cents"], first["overage_cents"]) == (
        "protected", 1250, 1000, 250,
    )  # fmt: skip
    assert (second["status"], second["trigger_type"], second["deviation_pct"]) == (
        "attention_needed", "cost_spike", 200.0,
    )  # fmt: skip
    assert "severity" not in first

    everything = await client.get(
        "/guard/costs/incidents", params={**params, "include_resolved": "true", "limit": 3},
        headers=auth(tenant_id),
    )  # fmt: skip
    items = everything.json()["incidents"]
    assert [i["id"] for i in items] == [str(exceeded), str(spike), str(closed)]
    assert items[2]["incident_id"] == str(resolved_incident)
    assert items[2]["resolved_at"] == (NOW - timedelta(minutes=5)).isoformat()
    assert everything.json()["total"] == 4
    all_items = await client.get(
        "/guard/costs/incidents", params={**params, "include_resolved": "true"},
        headers=auth(tenant_id),
    )  # fmt: skip
    last = all_items.json()["incidents"][-1]
    assert (last["id"], last["status"]) == (str(ended), "resolved")


async def _set_watermark(db: asyncpg.Connection[Any], name: str, at: datetime) -> None:
    await db.execute(
        "INSERT INTO analytics_watermarks (name, position, advanced_at) VALUES ($1, 0, $2)"
        " ON CONFLICT (name) DO UPDATE SET advanced_at = excluded.advanced_at",
        name,
        at,
    )


async def test_last_updated_is_the_snapshot_time_with_or_without_data(
    client: httpx.AsyncClient,
    db: asyncpg.Connection[Any],
    tenant_id: str,
    insert_incident: InsertIncident,
) -> None:
    """``last_updated`` comes in the same statement as the answer's rows, so it must also be
    there when the window holds nothing (docs/adr/0003-watermark-rollups.md)."""
    incidents_at = datetime(2026, 3, 20, 11, 0, 1, tzinfo=UTC)
    costs_at = datetime(2026, 3, 20, 11, 0, 2, tzinfo=UTC)
    await _set_watermark(db, "incident_rollup", incidents_at)
    await _set_watermark(db, "cost_rollup", costs_at)
    await insert_incident(tenant_id, created_at=NOW - timedelta(hours=1))  # an edge: raw
    await db.execute(
        "INSERT INTO cost_rollups_dimension_daily (tenant_id, day, dimension, value, cost_micros,"
        " request_count) VALUES ($1, $2, 'tenant_id', '', 5000000, 3),"
        " ($1, $2, 'model', 'gpt-4o', 5000000, 3)",
        tenant_id,
        datetime(2026, 3, 18, tzinfo=UTC),
    )
    empty = f"empty-{uuid.uuid4().hex[:8]}"
    now = {"now": NOW.isoformat()}
    for tenant, incidents in ((tenant_id, 1), (empty, 0)):
        for kind in ("trend", "distribution", "cost-trend"):
            body = (
                await client.get(
                    f"/api/v1/incidents/historical/{kind}",
                    params={**now, "window_days": 7, "granularity": "day"},
                    headers=auth(tenant),
                )
            ).json()
            assert body["last_updated"] == incidents_at.isoformat(), (kind, tenant)
            assert body["total_incidents"] == incidents
            if kind != "distribution":
                assert len(body["points"]) == 8  # seven days back to today, every day listed
        explained = (
            await client.get(
                "/guard/costs/explained", params={**now, "period": "7d"}, headers=auth(tenant)
            )
        ).json()
        assert explained["last_updated"] == costs_at.isoformat(), tenant
        assert [m["name"] for m in explained["by_model"]] == (["gpt-4o"] if incidents else [])
        assert explained["total_cents"] == (500 if incidents else 0)
