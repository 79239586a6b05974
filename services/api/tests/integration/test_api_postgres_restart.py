"""The gateway through a PostgreSQL crash and restart (on a PRIVATE cluster, never the shared one).

While the server is down every endpoint kind (incidents, analytics, costs, exports, notification
channels) answers only 200 or 503 with Retry-After, ``/readyz`` is 503 and ``/healthz`` 200; once it is back, every one
answers 200 again within 10 s, without restarting the gateway: the pool has healed.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio

from guard_api.config import Environment
from guard_contracts.topics import Topics
from guard_devtools.private_postgres import PrivatePostgres
from guard_storage.db import to_asyncpg_dsn

from .conftest import T0, api_settings, auth, running_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TENANT = "tenant-restart"
NOW = "now=2026-03-02T13:00:00Z"


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    from guard_storage.migrate import upgrade

    # Not under pytest's basetemp: every pytest session resets that folder to 0700, which would
    # lock the server's own OS user out of its data mid-test.
    root = Path(tempfile.mkdtemp(prefix="guard-api-pg-"))
    try:
        with PrivatePostgres(root) as server:
            upgrade(server.url)
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def restart_client(
    private_pg: PrivatePostgres, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    conn = await asyncpg.connect(to_asyncpg_dsn(private_pg.url))
    incident = await conn.fetchval(
        "INSERT INTO incidents (incident_id, tenant_id, lifecycle_state, severity, category,"
        " cause_type, title, description, source_type, fingerprint, calls_affected, event_count,"
        " cost_impact_micros, created_at, first_event_at, last_event_at, is_synthetic, updated_at)"
        " VALUES (gen_random_uuid(), $1, 'ACTIVE', 'high', 'RATE_LIMIT', 'SYSTEM', 't', 'd',"
        " 'killswitch', 'fp', 1, 1, 0, $2, $2, $2, false, $2) RETURNING incident_id",
        TENANT,
        T0,
    )
    await conn.close()
    settings = api_settings(private_pg.url, kafka_bootstrap, topics, Environment.DEVELOPMENT)
    settings = settings.model_copy(
        update={
            "topic_export_requests": topics.export_requests,
            "db_connect_timeout_s": 2.0,
            "db_pool_timeout_s": 2.0,
            "rate_limit_enabled": False,
        }
    )
    async with running_client(settings) as http:
        yield http, str(incident)


def _paths(incident: str, export_id: str) -> list[str]:
    return [
        "/api/v1/incidents/active",
        f"/api/v1/incidents/{incident}",
        f"/api/v1/incidents/patterns?{NOW}",
        f"/api/v1/incidents/metrics?{NOW}",
        f"/api/v1/incidents/historical/trend?{NOW}",
        f"/guard/costs/summary?{NOW}",
        f"/guard/costs/explained?{NOW}",
        f"/guard/costs/incidents?{NOW}",
        "/api/v1/exports/signing-key",
        "/api/v1/notification-channels",
        f"/api/v1/exports/{export_id}",  # last: the second test leaves it out
    ]


async def _round(http: httpx.AsyncClient, paths: list[str]) -> dict[str, httpx.Response]:
    answers = await asyncio.gather(*(http.get(p, headers=auth(TENANT)) for p in paths))
    return dict(zip(paths, answers, strict=True))


async def test_every_endpoint_heals_after_a_postgres_crash_and_restart(
    private_pg: PrivatePostgres, restart_client: tuple[httpx.AsyncClient, str]
) -> None:
    http, incident = restart_client
    accepted = await http.post(
        f"/api/v1/incidents/{incident}/export/soc2", json={"format": "pdf"}, headers=auth(TENANT)
    )
    assert accepted.status_code == 202, accepted.text
    paths = _paths(incident, accepted.json()["export_id"])
    # Fill the pool: these connections die with the server below.
    for _ in range(2):
        before = await _round(http, paths)
        assert {p: r.status_code for p, r in before.items()} == dict.fromkeys(paths, 200)

    private_pg.stop_immediately()
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for path, answer in (await _round(http, paths)).items():
                seen.add(answer.status_code)
                assert answer.status_code in (200, 503), (path, answer.status_code, answer.text)
                if answer.status_code == 503:
                    assert int(answer.headers["retry-after"]) >= 1, path
                    assert answer.json()["error"]["code"] == "unavailable"
        assert 503 in seen
        assert (await http.get("/readyz")).status_code == 503
        assert (await http.get("/healthz")).status_code == 200
    finally:
        private_pg.start()

    started = time.monotonic()
    while True:
        answers = await _round(http, paths)
        failing = {p: r.status_code for p, r in answers.items() if r.status_code != 200}
        if not failing:
            break
        assert set(failing.values()) <= {503}, failing
        assert time.monotonic() - started < 10, f"still failing after 10 s: {failing}"
        await asyncio.sleep(0.2)
    assert (await http.get("/readyz")).status_code == 200
    # Healed for good: a few more rounds, all 200.
    for _ in range(3):
        again = await _round(http, paths)
        assert all(r.status_code == 200 for r in again.values())


async def test_a_restart_between_requests_costs_no_request(
    private_pg: PrivatePostgres, restart_client: tuple[httpx.AsyncClient, str]
) -> None:
    """The pooled connections die while nobody uses them: the pre-ping finds them dead on
    checkout and replaces them, so the first requests after the restart already answer 200."""
    http, incident = restart_client
    paths = _paths(incident, "00000000-0000-0000-0000-000000000000")[:-1]
    for _ in range(2):
        assert all(r.status_code == 200 for r in (await _round(http, paths)).values())
    private_pg.stop_immediately()
    private_pg.start()
    first = await _round(http, paths)
    assert {p: r.status_code for p, r in first.items()} == dict.fromkeys(paths, 200)
