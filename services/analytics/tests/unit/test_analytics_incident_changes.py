"""Which incident-rollup buckets an incident change makes stale."""

from __future__ import annotations

from datetime import UTC, datetime

from guard_analytics.engines.incident_changes import stale_buckets

HOUR = datetime(2026, 3, 2, 14, tzinfo=UTC)


def change(tenant: object, created: object) -> dict[str, object]:
    return {
        "event_type": "incident.changed",
        "incident": {"tenant_id": tenant, "created_at": created},
    }


def test_changes_map_to_the_distinct_hours_their_incidents_were_created_in() -> None:
    buckets, unusable = stale_buckets(
        [
            change("t2", "2026-03-02T14:59:59.999+00:00"),
            change("t1", "2026-03-02T16:10:00+02:00"),  # 14:10 UTC
            change("t1", "2026-03-02T14:00:00Z"),
        ]
    )
    assert buckets == [("t1", HOUR), ("t2", HOUR)]
    assert unusable == 0


def test_unusable_changes_are_counted_not_raised() -> None:
    buckets, unusable = stale_buckets(
        [
            {},
            {"incident": "x"},
            change("t1", "2026-03-02T14:00:00"),
            change(None, "2026"),
            change("t", "no"),
        ]
    )
    assert buckets == []
    assert unusable == 5
