"""The list endpoints over HTTP against rows arranged in the real Postgres."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from guard_api.engines.sorting import sort_incidents
from guard_contracts.api.query import SortField, SortOrder

from .conftest import T0, auth

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"


@dataclass(frozen=True)
class Seen:
    incident_id: UUID
    severity: str
    created_at: datetime
    resolved_at: datetime | None


def seen(item: dict) -> Seen:
    resolved = item["resolved_at"]
    return Seen(
        UUID(item["incident_id"]),
        item["severity"],
        datetime.fromisoformat(item["created_at"]),
        datetime.fromisoformat(resolved) if resolved else None,
    )


async def test_active_paginates_with_metadata(client, tenant_id, insert_incident) -> None:
    for minute in range(5):
        await insert_incident(tenant_id, created_at=T0 + timedelta(minutes=minute))
    await insert_incident(tenant_id, lifecycle_state="ACKED", created_at=T0 + timedelta(minutes=9))
    await insert_incident(tenant_id, lifecycle_state="RESOLVED", resolved_at=T0)
    pages, offset = [], 0
    while offset is not None:
        response = await client.get(
            f"{BASE}/active", params={"limit": 4, "offset": offset}, headers=auth(tenant_id)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        offset = body["pagination"]["next_offset"]
    assert [len(p["items"]) for p in pages] == [4, 2]
    assert [p["has_more"] for p in pages] == [True, False]
    assert pages[0]["pagination"] == {"limit": 4, "offset": 0, "next_offset": 4}
    assert all(p["total"] == 6 for p in pages)
    assert pages[0]["filters_applied"] == {"tenant_id": tenant_id, "topic": "ACTIVE"}
    items = [i for p in pages for i in p["items"]]
    assert {i["lifecycle_state"] for i in items} == {"ACTIVE", "ACKED"}
    assert items[0]["created_at"] == "2026-03-02T12:09:00Z"  # default created_at desc


async def test_filters_are_applied_and_echoed(client, tenant_id, insert_incident) -> None:
    await insert_incident(tenant_id, severity="high", category="FREEZE", cause_type="HUMAN")
    await insert_incident(tenant_id, severity="high", created_at=T0 - timedelta(days=1))
    await insert_incident(tenant_id, severity="low", is_synthetic=True)
    params = {
        "severity": "high",
        "created_after": "2026-03-02T00:00:00+02:00",
        "created_before": "2026-03-03T00:00:00Z",
        "is_synthetic": "false",
    }
    response = await client.get(f"{BASE}/active", params=params, headers=auth(tenant_id))
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["category"] == "FREEZE"
    assert body["filters_applied"] == {
        "tenant_id": tenant_id,
        "topic": "ACTIVE",
        "severity": "high",
        "is_synthetic": False,
        "created_after": "2026-03-01T22:00:00+00:00",
        "created_before": "2026-03-03T00:00:00+00:00",
    }


async def test_severity_sorts_by_rank_with_ties_by_id(client, tenant_id, insert_incident) -> None:
    for severity in ["low", "critical", "medium", "high", "critical", "low", "high"]:
        await insert_incident(tenant_id, severity=severity)
    for order in SortOrder:
        response = await client.get(
            f"{BASE}/active",
            params={"sort_by": "severity", "sort_order": order.value},
            headers=auth(tenant_id),
        )
        got = [seen(i) for i in response.json()["items"]]
        assert got == sort_incidents(got, SortField.SEVERITY, order)
        expected_first = "critical" if order is SortOrder.DESC else "low"
        assert got[0].severity == expected_first


async def test_resolved_and_historical(client, tenant_id, insert_incident) -> None:
    now = datetime.now(UTC)
    recent = await insert_incident(
        tenant_id, lifecycle_state="RESOLVED", resolved_at=now - timedelta(days=2)
    )
    old = await insert_incident(
        tenant_id, lifecycle_state="RESOLVED", resolved_at=now - timedelta(days=40)
    )
    await insert_incident(tenant_id)
    resolved = (await client.get(f"{BASE}/resolved", headers=auth(tenant_id))).json()
    assert [i["incident_id"] for i in resolved["items"]] == [str(recent), str(old)]
    assert resolved["filters_applied"]["topic"] == "RESOLVED"
    historical = (await client.get(f"{BASE}/historical", headers=auth(tenant_id))).json()
    assert [i["incident_id"] for i in historical["items"]] == [str(old)]
    assert historical["filters_applied"]["retention_days"] == 30
    cutoff = datetime.fromisoformat(historical["cutoff_date"])
    assert abs((now - timedelta(days=30) - cutoff).total_seconds()) < 60
    shorter = await client.get(
        f"{BASE}/historical", params={"retention_days": 7}, headers=auth(tenant_id)
    )
    assert shorter.json()["total"] == 1
    too_short = await client.get(
        f"{BASE}/historical", params={"retention_days": 6}, headers=auth(tenant_id)
    )
    assert too_short.status_code == 422
    assert too_short.json()["error"]["field"] == "retention_days"


async def test_deprecated_list_topic_wins_over_state(client, tenant_id, insert_incident) -> None:
    await insert_incident(tenant_id, lifecycle_state="ACKED")
    await insert_incident(tenant_id, lifecycle_state="RESOLVED", resolved_at=T0)
    both = await client.get(
        BASE, params={"topic": "ACTIVE", "lifecycle_state": "RESOLVED"}, headers=auth(tenant_id)
    )
    assert [i["lifecycle_state"] for i in both.json()["items"]] == ["ACKED"]
    assert both.json()["filters_applied"] == {"tenant_id": tenant_id, "topic": "ACTIVE"}
    state = await client.get(BASE, params={"lifecycle_state": "RESOLVED"}, headers=auth(tenant_id))
    assert [i["lifecycle_state"] for i in state.json()["items"]] == ["RESOLVED"]
    assert (await client.get(BASE, headers=auth(tenant_id))).json()["total"] == 2


async def test_by_run_lists_the_runs_incidents_newest_first(
    client, tenant_id, insert_incident
) -> None:
    first = await insert_incident(tenant_id, llm_run_id="run-7", created_at=T0)
    second = await insert_incident(
        tenant_id, llm_run_id="run-7", created_at=T0 + timedelta(hours=1)
    )
    await insert_incident(tenant_id, llm_run_id="run-8")
    body = (await client.get(f"{BASE}/by-run/run-7", headers=auth(tenant_id))).json()
    assert body["run_id"] == "run-7"
    assert body["total"] == 2
    assert [i["incident_id"] for i in body["incidents"]] == [str(second), str(first)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"severity": "CRITICAL"}, "severity"),
        ({"sort_by": "title"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-02-30T00:00:00Z"}, "created_after"),  # no such day
        ({"created_after": "2026-03-02T00:00:00"}, "created_after"),  # no offset
        ({"created_before": "0.5"}, "created_before"),  # a number, not RFC 3339
        ({"created_after": "14896"}, "created_after"),
    ],
)
async def test_invalid_parameters_answer_422_naming_the_field(
    client, tenant_id, params, field
) -> None:
    response = await client.get(f"{BASE}/active", params=params, headers=auth(tenant_id))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["field"] == field
    assert field in error["message"]


async def test_an_unknown_query_parameter_is_refused_not_ignored(client, tenant_id) -> None:
    response = await client.get(
        f"{BASE}/active", params={"severty": "high"}, headers=auth(tenant_id)
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "unknown_parameter",
        "message": "severty: unknown query parameter",
        "field": "severty",
    }
