"""Which incident-rollup buckets an incident change makes stale (pure).

A change may move an incident between categories, severities or states, but never out of the UTC
day it was created on, so recomputing that (tenant, day) of every incident rollup is always enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any


def created_day(incident: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """(tenant_id, UTC midnight of created_at) of an ``incident.changed`` payload's incident."""
    tenant = incident.get("tenant_id")
    created = incident.get("created_at")
    if not isinstance(tenant, str) or not isinstance(created, str):
        return None
    try:
        at = datetime.fromisoformat(created)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return tenant, at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def stale_buckets(changes: Iterable[Mapping[str, Any]]) -> tuple[list[tuple[str, datetime]], int]:
    """The distinct buckets the changes touch (sorted, so replicas lock rows in one order) and
    how many changes were unusable."""
    found: set[tuple[str, datetime]] = set()
    unusable = 0
    for change in changes:
        incident = change.get("incident")
        bucket = created_day(incident) if isinstance(incident, Mapping) else None
        if bucket is None:
            unusable += 1
        else:
            found.add(bucket)
    return sorted(found), unusable
