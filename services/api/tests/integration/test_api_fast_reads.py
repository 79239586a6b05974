"""The fast lane (docs/operations-gateway.md#fast-reads) answers exactly as FastAPI does.

The same requests go to two apps on the same database, one with the lane and one without
(``fast_reads=false``); every answer must match to the byte: status, body and content type, for
plain requests the lane serves and for odd ones it hands to FastAPI (422s, 401s, 404s...).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard_api.config import Environment
from guard_contracts.topics import Topics

from .conftest import T0, InsertIncident, api_settings, auth, running_client

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"
TENANT = f"tenant-fast-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clients(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    base = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
    base = base.model_copy(update={"topic_export_requests": topics.export_requests})
    async with (
        running_client(base.model_copy(update={"fast_reads": True})) as fast,
        running_client(base.model_copy(update={"fast_reads": False})) as plain,
    ):
        yield fast, plain


@pytest_asyncio.fixture(loop_scope="session")
async def stored(insert_incident: InsertIncident) -> dict[str, Any]:
    ids = []
    for n, (severity, state) in enumerate(
        [("high", "ACTIVE"), ("high", "ACKED"), ("low", "ACTIVE"), ("critical", "RESOLVED")] * 3
    ):
        ids.append(
            await insert_incident(
                TENANT,
                severity=severity,
                lifecycle_state=state,
                created_at=T0 + timedelta(minutes=n),
                llm_run_id=f"run-{n % 2}",
                cost_impact_micros=n * 333_333,
                is_synthetic=n % 3 == 0,
                category="RATE_LIMIT" if n % 2 else "BUDGET_EXCEEDED",
            )
        )
    return {"ids": [str(i) for i in ids]}


async def _same(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], path: str, **headers: str
) -> httpx.Response:
    fast, plain = clients
    hdrs = {**auth(TENANT), **headers}
    # Twice: the lane hands a path's first request to FastAPI (to learn its route).
    for _ in range(2):
        a = await fast.get(path, headers=hdrs)
        b = await plain.get(path, headers=hdrs)
        assert (a.status_code, a.headers["content-type"]) == (
            b.status_code,
            b.headers["content-type"],
        ), path
        assert a.content == b.content, path
    return a


async def test_plain_requests_match_byte_for_byte(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], stored: dict[str, Any]
) -> None:
    first = stored["ids"][0]
    paths = [
        f"{BASE}/active",
        f"{BASE}/active?limit=50&severity=high",
        f"{BASE}/active?limit=2&offset=2&sort_by=severity&sort_order=asc",
        f"{BASE}/active?limit=1&offset=100",  # past the end: the total from its own count
        f"{BASE}/active?is_synthetic=true&category=RATE_LIMIT&cause_type=SYSTEM",
        f"{BASE}/active?created_after=2026-03-02T12:03:00%2B00:00&created_before=2026-03-02T13:00:00Z",
        f"{BASE}/{first}",
        f"{BASE}/{uuid.uuid4()}",  # 404
        f"{BASE}/by-run/run-0",
        f"{BASE}/by-run/run-nobody",
    ]
    for path in paths:
        await _same(clients, path)
    listed = await _same(clients, f"{BASE}/active?severity=high")
    assert listed.json()["total"] >= 6
    # The lane did answer them (after learning each path from FastAPI once).
    served = await clients[0].get("/metrics")
    for lane in ("active", "detail", "by_run"):
        line = next(
            x
            for x in served.text.splitlines()
            if x.startswith("guard_api_fast_reads_served_total") and f'lane="{lane}"' in x
        )
        assert float(line.rsplit(" ", 1)[1]) >= 1, line
    unserved = await clients[1].get("/metrics")
    assert 'guard_api_fast_reads_served_total{lane="active"} 0.0' in unserved.text


async def test_odd_requests_get_fastapis_answers(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], stored: dict[str, Any]
) -> None:
    first = stored["ids"][0]
    odd = [
        f"{BASE}/active?limit=050",
        f"{BASE}/active?limit=0",
        f"{BASE}/active?limit=101",
        f"{BASE}/active?limit=abc",
        f"{BASE}/active?severity=HIGH",
        f"{BASE}/active?severity=",
        f"{BASE}/active?is_synthetic=1",
        f"{BASE}/active?limit=5&limit=6",
        f"{BASE}/active?unknown=1",
        f"{BASE}/active?created_after=yesterday",
        f"{BASE}/{first.upper()}",
        f"{BASE}/{first.replace('-', '')}",
        f"{BASE}/{first}?x=1",
        f"{BASE}/not-a-uuid",
        f"{BASE}/by-run/run-0?limit=1",
        f"{BASE}/by-run/{'r' * 257}",
        f"{BASE}/by-run/a%01b",
    ]
    for path in odd:
        await _same(clients, path)
    # Authentication failures are rendered by the app's own handlers.
    await _same(clients, f"{BASE}/active", Authorization="Bearer not-a-jwt")
    fast, plain = clients
    for client in (fast, plain):
        missing = await client.get(f"{BASE}/active")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="guard"'


_values = st.sampled_from(
    ["1", "20", "100", "0", "050", "-1", "", "high", "low", "asc", "desc", "severity", "true",
     "false", "RATE_LIMIT", "SYSTEM", "2026-03-02T12:00:00Z", "created_at"]
)  # fmt: skip
_names = st.sampled_from(
    ["limit", "offset", "severity", "category", "cause_type", "sort_by", "sort_order",
     "is_synthetic", "created_after", "created_before", "bogus"]
)  # fmt: skip


@settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.lists(st.tuples(_names, _values), max_size=4))
async def test_generated_queries_match(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    stored: dict[str, Any],
    query: list[tuple[str, str]],
) -> None:
    qs = "&".join(f"{name}={value}" for name, value in query)
    await _same(clients, f"{BASE}/active?{qs}")
