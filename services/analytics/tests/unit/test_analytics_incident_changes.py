"""Which incident-rollup days an incident change makes stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guard_analytics.engines.incident_changes import stale_buckets

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def change(tenant: object, created: object) -> dict[str, object]:
    return {
        "event_type": "incident.changed",
        "incident": {"tenant_id": tenant, "created_at": created},
    }


def test_changes_map_to_the_distinct_utc_days_their_incidents_were_created_on() -> None:
    buckets, unusable = stale_buckets(
        [
            change("t2", "2026-03-02T23:59:59.999+00:00"),
            change("t1", "2026-03-03T01:10:00+02:00"),  # 23:10 UTC the day before
            change("t1", "2026-03-02T00:00:00Z"),
            change("t1", "2026-03-03T00:00:00Z"),
        ]
    )
    assert buckets == [("t1", DAY), ("t1", DAY + timedelta(days=1)), ("t2", DAY)]
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
