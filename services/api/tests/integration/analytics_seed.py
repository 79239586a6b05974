"""Seed data for the analytics integration tests: random cost events and incidents over ten
weeks, inserted with SQL (ingest's tables), the analytics service's own rollup jobs, and cost
anomalies. Shared by the reference comparison (test_api_analytics_oracle.py), the endpoint tests
and the fast-lane comparison (test_api_fast_analytics.py)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from guard_analytics.adapters.rollup_job import catch_up, incident_cycle
from guard_storage.db import to_asyncpg_dsn

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


def cost_events(rng: random.Random, tenant: str, n: int) -> list[dict[str, Any]]:
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


def incidents(rng: random.Random, tenant: str, n: int) -> list[dict[str, Any]]:
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


async def insert(
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


async def rollup(database_url: str) -> None:
    pool = await asyncpg.create_pool(to_asyncpg_dsn(database_url), min_size=1, max_size=2)
    assert pool is not None
    clock = lambda: datetime.now(UTC)  # noqa: E731
    try:
        await catch_up(pool, clock)
        async with pool.acquire() as conn:
            await incident_cycle(conn, clock)
    finally:
        await pool.close()


#: The instant the anomaly rows are placed around by default.
ANOMALY_NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


async def anomaly(db: asyncpg.Connection[Any], tenant: str, **fields: Any) -> uuid.UUID:
    """Insert one cost anomaly row (the table analytics writes), detected an hour before ``NOW``."""
    row: dict[str, Any] = {
        "tenant_id": tenant, "event_id": uuid.uuid4(), "anomaly_type": "cost_spike",
        "entity_type": "feature", "entity_id": "search", "current_micros": 30_000_000,
        "expected_micros": 10_000_000, "deviation_pct": Decimal("200.00"),
        "threshold": Decimal("14.000000"), "severity": "high",
        "window_start": ANOMALY_NOW - timedelta(days=2), "window_end": ANOMALY_NOW + timedelta(hours=12),
        "detected_at": ANOMALY_NOW - timedelta(hours=1), "incident_id": None,
    }  # fmt: skip
    row.update(fields)
    names = ", ".join(row)
    marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await db.execute(f"INSERT INTO cost_anomalies ({names}) VALUES ({marks})", *row.values())
    return uuid.UUID(str(row["event_id"]))
