"""``/guard/costs/explained`` against the plain-Python reference where the lists are tight.

The explanation reads only each dimension's candidates for its list (fewer than ten values
spending strictly more) with their baseline's inputs, and takes the baseline's mean from the
week's sum (docs/benchmarks-log.md, eighth session). These data put that to the test: more values
than listed, whole groups of values with equal spend across the tenth place, empty values, values
whose spend is all older than the baseline week, and values that start inside it.

Rows go into the real Postgres with SQL, the analytics service's own rollup jobs run, and the
answers come through the real app (httpx ASGITransport).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from pydantic import TypeAdapter

from guard_contracts.api.costs import CostExplainedPublic

from . import analytics_oracle as oracle
from .analytics_seed import insert, rollup
from .conftest import auth

pytestmark = pytest.mark.integration

# Every "now" is in the second half of its hour and every event in the first half (as in
# analytics_seed), so "the current hour as far as processed" holds the events up to now.
NOWS = [
    datetime(2026, 3, 2, 14, 45, 10, tzinfo=UTC),
    datetime(2026, 3, 15, 0, 31, tzinfo=UTC),
    datetime(2026, 3, 9, 23, 50, tzinfo=UTC),
]
START = datetime(2026, 1, 20, tzinfo=UTC)
ODD_NAMES = ['quote " back \\ slash / <tag>', "tab\tnewline\n\x01 bell\x07", "ünïcødé €𝄞"]
SPAN_HOURS = 60 * 24


def _events(rng: random.Random, tenant: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(at: datetime, cost: int, **values: str | None) -> None:
        events.append(
            {
                "tenant_id": tenant,
                "event_id": uuid.UUID(int=rng.getrandbits(128)),
                "occurred_at": at,
                "user_id": values.get("user"),
                "feature_tag": values.get("feature"),
                "model": values.get("model") or "gpt-4o",
                "input_tokens": 10,
                "output_tokens": 5,
                "cost_micros": cost,
            }
        )

    def pattern(n: int) -> list[tuple[datetime, int]]:
        """``n`` spends over the span and one in each "now"'s hour and the day before it."""
        times = [START + timedelta(hours=rng.randrange(SPAN_HOURS)) for _ in range(n)]
        for now in NOWS:
            times += [now.replace(minute=0), now.replace(minute=0) - timedelta(days=1)]
        return [
            (t + timedelta(minutes=rng.randrange(30)), rng.randrange(5_000_000, 9_000_000))
            for t in times
        ]

    # Equal spend in every window: 14 users, 13 features (one of them empty) and 12 models
    # each repeat one history, so ties straddle the tenth place of every list.
    for k, (at, cost) in ((k, p) for p in pattern(30) for k in range(14)):
        add(at, cost, user=f"tied-{k:02d}")
    for k, (at, cost) in ((k, p) for p in pattern(30) for k in range(13)):
        add(at, cost, user="t", feature=None if k == 12 else f"f{k:02d}")
    for k, (at, cost) in ((k, p) for p in pattern(30) for k in range(12)):
        add(at, cost, user="t", feature="f00", model=f"claude-m{k:02d}")
    # Values with their own histories: all spend long before the baseline week (then some
    # inside each window), a first day inside the week, and spend every day.
    for k in range(6):
        old = START + timedelta(days=k, hours=rng.randrange(12))
        add(old, rng.randrange(1, 5_000_000), user=f"old-{k}", feature="f01")
        for now in NOWS:
            add(now.replace(minute=k), rng.randrange(1, 5_000_000), user=f"old-{k}")
        for now in NOWS:
            first = now.replace(minute=k) - timedelta(days=1 + k)
            add(first, rng.randrange(1, 9_000_000), user=f"new-{k}", model="claude-new")
    for day in range(60):
        at = START + timedelta(days=day, hours=rng.randrange(24), minutes=rng.randrange(30))
        add(at, rng.randrange(100_000, 3_000_000), feature=rng.choice(["daily", None]))
    # Names JSON must escape or carry as UTF-8, listed near the top of every window.
    for now in NOWS:
        for k, name in enumerate(ODD_NAMES):
            add(now.replace(minute=k), 40_000_000 + k, user=name, feature=name, model=name)
    return events


@pytest.fixture
async def arranged(
    db: asyncpg.Connection[Any], database_url: str, tenant_id: str
) -> list[dict[str, Any]]:
    events = _events(random.Random(tenant_id), tenant_id)
    await insert(db, events, [])
    await rollup(database_url)
    return events


def _cut_through_a_tie(events: list[dict[str, Any]], now: datetime, period: str) -> bool:
    """Whether some list's tenth and eleventh values spend the same in the window."""
    days = {"7d": 7, "30d": 30}.get(period)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight if days is None else (now - timedelta(days=days)).replace(minute=0, second=0)
    for column in ("user_id", "feature_tag", "model"):
        spend: dict[str | None, int] = {}
        for e in events:
            if start <= e["occurred_at"] <= now:
                spend[e[column]] = spend.get(e[column], 0) + e["cost_micros"]
        ranked = sorted(spend.values(), reverse=True)
        if len(ranked) > 10 and ranked[9] == ranked[10]:
            return True
    return False


@pytest.mark.parametrize("now", NOWS)
async def test_explained_lists_match_the_reference_across_ties(
    client: httpx.AsyncClient, arranged: list[dict[str, Any]], tenant_id: str, now: datetime
) -> None:
    trends: set[str] = set()
    names: set[str] = set()
    for period in ("today", "7d", "30d"):
        response = await client.get(
            "/guard/costs/explained",
            params={"period": period, "now": now.isoformat()},
            headers=auth(tenant_id),
        )
        assert response.status_code == 200, response.text
        got = response.json()
        # The bytes are what the response_model writes from the same value: the adapter
        # serialises the answer itself (adapters.ports.JsonDocument).
        model = TypeAdapter(CostExplainedPublic)
        written = model.dump_json(model.validate_python(orjson.loads(response.content)))
        assert response.content == written, period
        want = oracle.explained(arranged, now, period)
        trimmed = {k: got[k] for k in want}
        for dim in ("feature", "model", "user"):
            trimmed[f"by_{dim}"] = [
                {k: item[k] for k in ("name", "spend_cents", "requests", "pct", "trend")}
                for item in got[f"by_{dim}"]
            ]
            trends |= {item["trend"] for item in got[f"by_{dim}"]}
            names |= {item["name"] for item in got[f"by_{dim}"]}
        assert trimmed == want, period
        assert _cut_through_a_tie(arranged, now, period), period  # the data do what they say
    assert len(trends) >= 2, trends
    assert set(ODD_NAMES) <= names
