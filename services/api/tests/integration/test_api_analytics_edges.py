"""Analytics and cost endpoints at their edges: a tenant with no data, bounds, error codes."""

from __future__ import annotations

import httpx
import pytest

from .conftest import auth

pytestmark = pytest.mark.integration

NOW = "2026-03-10T12:30:00+00:00"
INCIDENT_PATHS = [
    "/api/v1/incidents/patterns",
    "/api/v1/incidents/recurring",
    "/api/v1/incidents/cost-impact",
    "/api/v1/incidents/metrics",
    "/api/v1/incidents/historical/trend",
    "/api/v1/incidents/historical/distribution",
    "/api/v1/incidents/historical/cost-trend",
]
COST_PATHS = ["/guard/costs/summary", "/guard/costs/explained", "/guard/costs/incidents"]


@pytest.mark.parametrize("path", INCIDENT_PATHS + COST_PATHS)
async def test_a_tenant_without_data_gets_empty_answers(
    client: httpx.AsyncClient, headers: dict[str, str], path: str
) -> None:
    response = await client.get(path, params={"now": NOW}, headers=headers)
    assert response.status_code == 200, response.text
    stamp = {"/guard/costs/summary": "as_of", "/guard/costs/explained": "period_end"}
    assert response.json()[stamp.get(path, "generated_at")] == NOW


async def test_empty_weeks_are_all_present_and_zero(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(
        "/api/v1/incidents/historical/trend",
        params={"now": NOW, "window_days": 14, "granularity": "week"},
        headers=headers,
    )
    body = response.json()
    # 2026-02-24 12:30 .. 2026-03-10 12:30: weeks of Mon 23 Feb, 2 Mar and 9 Mar.
    assert [p["period"] for p in body["points"]] == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert {p["incident_count"] for p in body["points"]} == {0}
    assert {p["avg_resolution_time_ms"] for p in body["points"]} == {None}
    assert body["total_incidents"] == 0


async def test_metrics_without_incidents_are_null_not_zero(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = (
        await client.get("/api/v1/incidents/metrics", params={"now": NOW}, headers=headers)
    ).json()
    assert body["total_count"] == 0
    assert body["avg_time_to_ack_ms"] is None
    assert body["p90_time_to_resolution_ms"] is None
    assert body["sla_compliance_rate"] is None
    assert body["window_days"] == 30


@pytest.mark.parametrize("kind", ["trend", "distribution", "cost-trend"])
async def test_unknown_granularity_is_400(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str
) -> None:
    response = await client.get(
        f"/api/v1/incidents/historical/{kind}", params={"granularity": "year"}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_granularity"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/incidents/patterns", {"window_hours": 169}, "window_hours"),
        ("/api/v1/incidents/patterns", {"limit": 0}, "limit"),
        ("/api/v1/incidents/recurring", {"recurrence_threshold": 1}, "recurrence_threshold"),
        ("/api/v1/incidents/recurring", {"baseline_days": 91}, "baseline_days"),
        ("/api/v1/incidents/cost-impact", {"limit": 51}, "limit"),
        ("/api/v1/incidents/metrics", {"window_days": 0}, "window_days"),
        ("/api/v1/incidents/historical/trend", {"window_days": 6}, "window_days"),
        ("/api/v1/incidents/historical/cost-trend", {"window_days": 366}, "window_days"),
        ("/guard/costs/explained", {"period": "90d"}, "period"),
        ("/guard/costs/incidents", {"limit": 101}, "limit"),
        ("/api/v1/incidents/metrics", {"now": "2026-03-10T12:30:00"}, "now"),
        ("/api/v1/incidents/metrics", {"now": "1243161779"}, "now"),
        ("/guard/costs/summary", {"now": "-12.5"}, "now"),
    ],
)
async def test_out_of_bounds_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    params: dict[str, object],
    field: str,
) -> None:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("path", COST_PATHS)
async def test_costs_keep_tenant_id_but_refuse_another_tenant(
    client: httpx.AsyncClient, tenant_id: str, path: str
) -> None:
    own = await client.get(path, params={"tenant_id": tenant_id}, headers=auth(tenant_id))
    other = await client.get(path, params={"tenant_id": "someone-else"}, headers=auth(tenant_id))
    assert own.status_code == 200
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "tenant_mismatch"


@pytest.mark.parametrize("path", INCIDENT_PATHS[:2] + COST_PATHS[:1])
async def test_analytics_need_a_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
