"""The fast lane's analytics and cost paths answer exactly as FastAPI does
(docs/operations-gateway.md#fast-reads).

One seeded tenant (incidents, cost events, a budget, cost anomalies, the rollups built by the
analytics service's own jobs); the same requests go to an app with the lane and one without
(``fast_reads=false``). Every answer must match: status, headers (but the request id) and body
bytes, for the plain requests the lane serves (checked on its counter) and for the odd ones it
leaves to FastAPI (400s, 422s naming the field, 401s, 403s, 429s).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from itertools import product
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from guard_api.adapters.analytics_settings import analytics_settings
from guard_api.config import Environment
from guard_api.entrypoints.fast_plans import LANES
from guard_contracts.topics import Topics
from guard_storage.db import to_asyncpg_dsn

from .analytics_seed import NOWS, START, anomaly, cost_events, incidents, insert, rollup
from .conftest import api_settings, auth, running_client

pytestmark = pytest.mark.integration
TENANT = f"tenant-fastan-{uuid.uuid4().hex[:8]}"
INC = "/api/v1/incidents"
#: ``now`` as a request gives it (the answers then do not depend on the wall clock) ...
GIVEN_NOWS = [None, "2026-03-02T14:45:10Z", "2026-03-15T02:31:00+01:00", "2026-02-28T23:59:59Z"]
#: ... and the analytics' configured "now" when it is absent (``fixed_now``).
SETTINGS_NOW = "2026-03-02T14:45:10+00:00"
Clients = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clients(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[Clients]:
    base = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
    async with (
        running_client(base.model_copy(update={"fast_reads": True})) as fast,
        running_client(base.model_copy(update={"fast_reads": False})) as plain,
    ):
        yield fast, plain


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def seeded(database_url: str) -> None:
    db = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        rng = random.Random(7)
        await insert(db, cost_events(rng, TENANT, 1200), incidents(rng, TENANT, 160))
        await db.execute(
            "INSERT INTO budgets (tenant_id, budget_type, entity_id, daily_limit_micros, "
            "monthly_limit_micros, warn_threshold_pct, hard_limit_enabled, event_id, occurred_at) "
            "VALUES ($1, 'tenant', $1, 40000000, 900000000, 80, true, $2, $3)",
            TENANT,
            uuid.uuid4(),
            START,
        )
        for k, now in enumerate(NOWS * 2):
            await anomaly(
                db,
                TENANT,
                detected_at=now - timedelta(hours=k + 1),
                window_start=now - timedelta(days=2),
                window_end=now + timedelta(hours=12) if k % 2 else now - timedelta(hours=1),
                anomaly_type=["cost_spike", "budget_exceeded", "cost_drift"][k % 3],
            )
        await rollup(database_url)
    finally:
        await db.close()


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Answers without ``now`` use the configured one, so the two apps' bytes can match."""
    monkeypatch.setenv("GUARD_API_ANALYTICS_NOW", SETTINGS_NOW)
    analytics_settings.cache_clear()
    yield
    monkeypatch.delenv("GUARD_API_ANALYTICS_NOW")
    analytics_settings.cache_clear()


def _url(path: str, **params: Any) -> str:
    given = {k: v for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(given)}" if given else path


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.items() if k != "x-request-id"]


async def _same(
    clients: Clients, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    fast, plain = clients
    hdrs = auth(TENANT) if headers is None else headers
    a = await fast.get(url, headers=hdrs)
    b = await plain.get(url, headers=hdrs)
    assert (a.status_code, _headers(a)) == (b.status_code, _headers(b)), url
    assert a.content == b.content, url
    return a


async def _served(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    counts = {}
    for line in text.splitlines():
        if line.startswith("guard_api_fast_reads_served_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('lane="')[1].split('"')[0]] = float(value)
    return counts


async def _learn(clients: Clients, lane_paths: list[str]) -> None:
    """A lane hands its path's first request to FastAPI (to learn the route)."""
    for path in lane_paths:
        await _same(clients, path)


#: (lane, path, every combination of these parameter values, ``None`` = absent)
COMBINATIONS: list[tuple[str, str, dict[str, list[Any]]]] = [
    ("patterns", f"{INC}/patterns", {"window_hours": [None, 1, 24, 168], "limit": [None, 1, 50]}),
    (
        "recurring",
        f"{INC}/recurring",
        {"baseline_days": [None, 1, 90], "recurrence_threshold": [None, 2, 100], "limit": [1, 50]},
    ),
    ("cost_impact", f"{INC}/cost-impact", {"baseline_days": [None, 1, 90], "limit": [None, 1, 50]}),
    ("metrics", f"{INC}/metrics", {"window_days": [None, 1, 7, 90]}),
    *(
        (
            lane,
            f"{INC}/historical/{kind}",
            {"window_days": [None, 7, 90, 365], "granularity": [None, "day", "week", "month"]},
        )
        for lane, kind in [
            ("trend", "trend"),
            ("distribution", "distribution"),
            ("cost_trend", "cost-trend"),
        ]
    ),
    ("costs_summary", "/guard/costs/summary", {"tenant_id": [None, TENANT]}),
    (
        "costs_explained",
        "/guard/costs/explained",
        {"period": [None, "today", "7d", "30d"], "tenant_id": [None, TENANT]},
    ),
    (
        "costs_incidents",
        "/guard/costs/incidents",
        {"include_resolved": [None, "true", "false"], "limit": [None, 1, 100]},
    ),
]


@pytest.mark.parametrize(("lane", "path", "values"), COMBINATIONS, ids=[c[0] for c in COMBINATIONS])
async def test_plain_requests_match_byte_for_byte(
    clients: Clients,
    seeded: None,
    fixed_now: None,
    lane: str,
    path: str,
    values: dict[str, list[Any]],
) -> None:
    await _learn(clients, [path])
    before = await _served(clients[0])
    sent = 0
    statuses: set[int] = set()
    for now in GIVEN_NOWS:
        for combination in product(*values.values()):
            response = await _same(
                clients, _url(path, **dict(zip(values, combination, strict=True)), now=now)
            )
            statuses.add(response.status_code)
            sent += 1
    assert statuses == {200}
    after = await _served(clients[0])
    assert after[lane] - before[lane] == sent  # every one answered by the lane
    assert (await _served(clients[1]))[lane] == 0


def _response_model(lane: str) -> TypeAdapter[Any]:
    declared = LANES[lane]
    for route in declared.router.routes:
        if isinstance(route, APIRoute) and route.path == declared.path:
            return TypeAdapter(route.response_model)
    raise LookupError(lane)


@pytest.mark.parametrize(("lane", "path", "values"), COMBINATIONS, ids=[c[0] for c in COMBINATIONS])
async def test_the_bytes_are_what_the_response_model_writes(
    clients: Clients, seeded: None, lane: str, path: str, values: dict[str, list[Any]]
) -> None:
    """Answers written straight to JSON bytes (adapters.ports.JsonDocument) are exactly what the route's
    response model writes from the same value, as FastAPI would have sent them."""
    model = _response_model(lane)
    for combination in product(*values.values()):
        url = _url(path, **dict(zip(values, combination, strict=True)), now=GIVEN_NOWS[1])
        sent = (await _same(clients, url)).content
        assert sent == model.dump_json(model.validate_python(orjson.loads(sent))), url


async def test_answers_hold_data(clients: Clients, seeded: None) -> None:
    """Not only empty answers: the seeded tenant's rows are in what the two apps agree on."""
    now = {"now": GIVEN_NOWS[1]}
    trend = (await _same(clients, _url(f"{INC}/historical/trend", window_days=90, **now))).json()
    assert trend["total_incidents"] > 0
    explained = (await _same(clients, _url("/guard/costs/explained", period="30d", **now))).json()
    assert explained["total_cents"] > 0
    listed = await _same(clients, _url("/guard/costs/incidents", include_resolved="true", **now))
    assert listed.json()["total"] > 0
    metrics = (await _same(clients, _url(f"{INC}/metrics", window_days=90, **now))).json()
    assert metrics["window_days"] == 90
    assert metrics["resolved_count"] > 0
    assert metrics["median_time_to_resolution_ms"] is not None
    recurring = await _same(clients, _url(f"{INC}/recurring", baseline_days=90, **now))
    assert recurring.json()["groups"]
    impact = await _same(clients, _url(f"{INC}/cost-impact", baseline_days=90, **now))
    assert impact.json()["summaries"]
    patterns = await _same(clients, _url(f"{INC}/patterns", window_hours=168, **now))
    assert patterns.json()["patterns"]
    distribution = await _same(clients, _url(f"{INC}/historical/distribution", **now))
    assert distribution.json()["by_category"]


#: Requests the lane must leave to FastAPI: (path, query, the field FastAPI's 4xx names or None
#: when FastAPI accepts it).
DECLINED: list[tuple[str, str, str | None]] = [
    (f"{INC}/patterns", "window_hours=0", "window_hours"),
    (f"{INC}/patterns", "window_hours=169", "window_hours"),
    (f"{INC}/patterns", "window_hours=024", None),  # FastAPI reads it as 24
    (f"{INC}/patterns", "window_hours=%2B5", None),
    (f"{INC}/patterns", "window_hours=", "window_hours"),
    (f"{INC}/patterns", "limit=51", "limit"),
    (f"{INC}/patterns", "limit=abc", "limit"),
    (f"{INC}/patterns", "limit=2&limit=3", "limit"),  # repeated: refused, not the last
    (f"{INC}/patterns", "bogus=1", "bogus"),
    (f"{INC}/recurring", "recurrence_threshold=1", "recurrence_threshold"),
    (f"{INC}/recurring", "baseline_days=91", "baseline_days"),
    (f"{INC}/cost-impact", "limit=0", "limit"),
    (f"{INC}/metrics", "window_days=91", "window_days"),
    (f"{INC}/metrics", "now=2026-03-01T00:00:00", "now"),  # no offset
    (f"{INC}/metrics", "now=1971-06-01T00:00:00Z", "now"),
    (f"{INC}/metrics", "now=2026-02-30T00:00:00Z", "now"),
    (f"{INC}/metrics", "now=", "now"),
    (f"{INC}/historical/trend", "granularity=year", "granularity"),  # 400
    (f"{INC}/historical/trend", "granularity=Day", "granularity"),
    (f"{INC}/historical/distribution", "window_days=6", "window_days"),
    (f"{INC}/historical/cost-trend", "window_days=366", "window_days"),
    (f"{INC}/historical/cost-trend", "granularity=", "granularity"),
    ("/guard/costs/explained", "period=90d", "period"),
    ("/guard/costs/explained", "period=TODAY", "period"),
    ("/guard/costs/incidents", "include_resolved=1", None),  # FastAPI reads it as true
    ("/guard/costs/incidents", "include_resolved=maybe", "include_resolved"),
    ("/guard/costs/incidents", "limit=101", "limit"),
    ("/guard/costs/summary", "tenant=x", "tenant"),
    ("/guard/costs/summary", "now=9999-12-31T23:59:59Z", "now"),
]


async def test_odd_requests_get_fastapis_answers(
    clients: Clients, seeded: None, fixed_now: None
) -> None:
    paths = sorted({path for path, _, _ in DECLINED})
    await _learn(clients, [_url(p, now=GIVEN_NOWS[1]) for p in paths])
    before = await _served(clients[0])
    for path, query, field in DECLINED:
        response = await _same(clients, f"{path}?{query}")
        if field is None:
            assert response.status_code == 200, (path, query)
        else:
            assert response.status_code in (400, 422), (path, query)
            assert response.json()["error"]["field"] == field, (path, query)
    assert await _served(clients[0]) == before  # none of them went through the lane


async def test_errors_the_lane_meets_render_as_fastapis(clients: Clients, seeded: None) -> None:
    paths = [f"{INC}/metrics", f"{INC}/historical/trend", "/guard/costs/summary"]
    await _learn(clients, [_url(p, now=GIVEN_NOWS[1]) for p in paths])
    before = await _served(clients[0])
    for path in paths:
        for headers in (
            {},
            {"Authorization": "Bearer not-a-jwt"},
            {"Authorization": "Basic dXNlcjpwdw=="},
            auth(TENANT, aud="someone-else"),
            auth(TENANT, exp=1),
            auth(None),  # a valid token without a tenant: 403
        ):
            response = await _same(clients, path, headers)
            assert response.status_code in (401, 403), (path, headers)
    for cost in ("summary", "explained", "incidents"):
        other = await _same(clients, f"/guard/costs/{cost}?tenant_id=someone-else")
        assert other.json()["error"]["code"] == "tenant_mismatch"
    missing = await clients[0].get(f"{INC}/metrics")
    assert missing.headers["www-authenticate"] == 'Bearer realm="guard"'
    assert await _served(clients[0]) == before  # errors are not counted as served


async def test_the_rate_limit_answers_alike(
    database_url: str, kafka_bootstrap: str, topics: Topics, seeded: None
) -> None:
    base = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
    limited = {"rate_limit_enabled": True, "rate_limit_reads": "3/minute"}
    async with (
        running_client(base.model_copy(update={**limited, "fast_reads": True})) as fast,
        running_client(base.model_copy(update={**limited, "fast_reads": False})) as plain,
    ):
        url = _url(f"{INC}/historical/trend", now=GIVEN_NOWS[1])
        answers = [await _same((fast, plain), url) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[-1].json()["error"]["code"] == "rate_limited"
        assert (await _served(fast))["trend"] == 2  # the first taught the lane its route


async def test_openapi_is_the_same_with_and_without_the_lane(clients: Clients) -> None:
    fast, plain = clients
    a, b = await fast.get("/openapi.json"), await plain.get("/openapi.json")
    assert a.status_code == 200
    assert a.content == b.content
