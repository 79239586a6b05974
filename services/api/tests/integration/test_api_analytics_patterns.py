"""Incident patterns against PostgreSQL: which incidents each pattern type groups.

The repository groups the window's incidents (drivers.analytics._PATTERN_GROUPS) and the engine
applies the least counts and confidences; these tests pin the grouping rules themselves
(docs/product/analytics.md#patterns). The randomised comparison with an independent reference is
in test_api_analytics_oracle.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .conftest import InsertIncident, auth

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


async def _patterns(client: httpx.AsyncClient, tenant_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/incidents/patterns",
        params={"now": NOW.isoformat(), **params},
        headers=auth(tenant_id),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _of(body: dict[str, Any], kind: str) -> list[tuple[str, int]]:
    return [(p["dimension"], p["count"]) for p in body["patterns"] if p["pattern_type"] == kind]


async def test_no_incidents_is_no_pattern(client: httpx.AsyncClient, tenant_id: str) -> None:
    body = await _patterns(client, tenant_id)
    assert body["patterns"] == []
    assert body["incidents_analyzed"] == 0


async def test_a_severity_spike_is_open_critical_or_high_incidents_of_the_last_hour(
    client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    at = NOW - timedelta(minutes=10)
    for state in ("ACTIVE", "ACKED", "ACTIVE"):
        await insert_incident(tenant_id, severity="high", lifecycle_state=state, created_at=at)
    await insert_incident(tenant_id, severity="high", created_at=NOW - timedelta(hours=1))
    ignored = [
        {"severity": "high", "created_at": NOW - timedelta(hours=1, microseconds=1)},
        {"severity": "high", "lifecycle_state": "RESOLVED", "created_at": at},
        {"severity": "medium", "created_at": at},
        {"severity": "low", "created_at": at},
        {"severity": "critical", "created_at": at},  # two criticals: below the least count
        {"severity": "critical", "created_at": at},
    ]
    for fields in ignored:
        await insert_incident(tenant_id, **fields)
    body = await _patterns(client, tenant_id, window_hours=24)
    assert _of(body, "severity_spike") == [("high", 4)]
    assert body["incidents_analyzed"] == 4 + len(ignored)


async def test_a_cascade_is_one_named_run(
    client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    at = NOW - timedelta(hours=2)
    for run in ("run-1", "run-1", "run-2", "", "", None, None):
        await insert_incident(tenant_id, llm_run_id=run, created_at=at)
    body = await _patterns(client, tenant_id)
    assert _of(body, "cascade_failure") == [("run-1", 2)]


async def test_the_ten_newest_ids_are_listed_and_equal_instants_order_by_id(
    client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    created: list[tuple[datetime, uuid.UUID]] = []
    for k in range(12):
        at = NOW - timedelta(hours=3, minutes=k // 3)  # three incidents per instant
        created.append((at, await insert_incident(tenant_id, category="FREEZE", created_at=at)))
    body = await _patterns(client, tenant_id)
    (cluster,) = [p for p in body["patterns"] if p["pattern_type"] == "category_cluster"]
    assert cluster["count"] == 12
    newest = sorted(created, reverse=True)[:10]
    assert cluster["incident_ids"] == [str(i) for _, i in newest]


async def test_the_window_holds_both_ends_and_the_limit_applies_per_type(
    client: httpx.AsyncClient, tenant_id: str, insert_incident: InsertIncident
) -> None:
    start = NOW - timedelta(hours=24)
    # Real categories only: other suites read every tenant's incidents (the idle sweep).
    sizes = {"FREEZE": 4, "EXECUTION_FAILURE": 5, "BUDGET_EXCEEDED": 4, "RATE_LIMIT": 3}
    for category, n in sizes.items():
        for k in range(n):
            at = start if k == 0 else NOW if k == 1 else NOW - timedelta(hours=k)
            await insert_incident(tenant_id, category=category, created_at=at)
    early = start - timedelta(microseconds=1)
    await insert_incident(tenant_id, category="EXECUTION_FAILURE", created_at=early)
    body = await _patterns(client, tenant_id, window_hours=24, limit=2)
    assert _of(body, "category_cluster") == [("EXECUTION_FAILURE", 5), ("BUDGET_EXCEEDED", 4)]
    assert body["incidents_analyzed"] == sum(sizes.values())
    body = await _patterns(client, tenant_id, window_hours=24, limit=50)
    assert _of(body, "category_cluster") == [
        ("EXECUTION_FAILURE", 5),
        ("BUDGET_EXCEEDED", 4),
        ("FREEZE", 4),
        ("RATE_LIMIT", 3),
    ]
