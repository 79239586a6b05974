"""Reads from the read replica (docs/operations-gateway.md#read-replica), on real PostgreSQL.

The "replica" is a second real database holding DIFFERENT incidents from the primary, so every
answer shows which database it was read from. Incident lists and detail, analytics and costs read
the replica; commands keep the primary. A replica URL that cannot be reached (a closed port) falls
back to the primary: 200, never 503. Both the fast lane and FastAPI's own routes are checked.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from guard_api.config import Environment, Settings
from guard_contracts.topics import Topics
from guard_devtools.testing import Servers, fresh_databases
from guard_storage.db import to_asyncpg_dsn

from .conftest import T0, api_settings, auth, running_client

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"
TENANT = f"tenant-replica-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def replica_url(servers: Servers) -> Iterator[str]:
    """A second database on the same server, migrated to head, dropped afterwards."""
    with fresh_databases(servers.database_url, "guard_test_replica") as (url,):
        yield url


async def _insert(url: str, title: str, run_id: str, cost_micros: int) -> str:
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        incident = await conn.fetchval(
            "INSERT INTO incidents (incident_id, tenant_id, lifecycle_state, severity, category,"
            " cause_type, title, description, source_type, fingerprint, llm_run_id,"
            " calls_affected, event_count, cost_impact_micros, created_at, first_event_at,"
            " last_event_at, is_synthetic, updated_at) VALUES (gen_random_uuid(), $1, 'ACTIVE',"
            " 'high', 'RATE_LIMIT', 'SYSTEM', $2, 'd', 'killswitch', 'fp', $3, 1, 1, $5, $4, $4, $4,"
            " false, $4) RETURNING incident_id",
            TENANT,
            title,
            run_id,
            T0,
            cost_micros,
        )
    finally:
        await conn.close()
    return str(incident)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def incidents(database_url: str, replica_url: str) -> dict[str, str]:
    """One incident only on the primary, another only on the replica."""
    return {
        "primary": await _insert(database_url, "on the primary", "run-primary", 1_000_000),
        "replica": await _insert(replica_url, "on the replica", "run-replica", 2_500_000),
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def settings_for(database_url: str, kafka_bootstrap: str, topics: Topics) -> Any:
    def make(read_url: str | None, fast_reads: bool) -> Settings:
        base = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
        return base.model_copy(
            update={
                "database_read_url": read_url,
                "fast_reads": fast_reads,
                "db_connect_timeout_s": 2.0,
                "topic_export_requests": topics.export_requests,
            }
        )

    return make


async def _titles(http: httpx.AsyncClient) -> list[str]:
    answer = await http.get(f"{BASE}/active?severity=high", headers=auth(TENANT))
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]


async def _cost_impact(http: httpx.AsyncClient) -> Any:
    answer = await http.get(f"{BASE}/cost-impact?now=2026-03-02T13:00:00Z", headers=auth(TENANT))
    assert answer.status_code == 200, answer.text
    return answer.json()["total_cost_impact"]


@pytest.mark.parametrize("fast_reads", [True, False], ids=["fast-lane", "fastapi"])
async def test_reads_come_from_the_replica_and_commands_from_the_primary(
    settings_for: Any, replica_url: str, incidents: dict[str, str], fast_reads: bool
) -> None:
    async with running_client(settings_for(replica_url, fast_reads)) as http:
        for _ in range(2):  # the lane serves a path from its second request on
            assert await _titles(http) == ["on the replica"]
            mine = await http.get(f"{BASE}/{incidents['replica']}", headers=auth(TENANT))
            assert (mine.status_code, mine.json()["title"]) == (200, "on the replica")
            other = await http.get(f"{BASE}/{incidents['primary']}", headers=auth(TENANT))
            assert other.status_code == 404
            run = await http.get(f"{BASE}/by-run/run-replica", headers=auth(TENANT))
            assert run.json()["total"] == 1
            assert (await http.get(f"{BASE}/by-run/run-primary", headers=auth(TENANT))).json()[
                "total"
            ] == 0
        assert await _cost_impact(http) == 2.5  # analytics read the replica too
        # A command checks the incident's state on the primary, which knows only its own.
        ack = f"{BASE}/{{}}/acknowledge"
        unknown = await http.post(ack.format(incidents["replica"]), headers=auth(TENANT))
        assert unknown.status_code == 404
        known = await http.post(ack.format(incidents["primary"]), headers=auth(TENANT))
        assert known.status_code == 202, known.text


@pytest.mark.parametrize("fast_reads", [True, False], ids=["fast-lane", "fastapi"])
async def test_an_unreachable_replica_falls_back_to_the_primary(
    settings_for: Any, database_url: str, incidents: dict[str, str], fast_reads: bool
) -> None:
    closed = f"postgresql+asyncpg://guard@127.0.0.1:{_closed_port()}/guard"
    async with running_client(settings_for(closed, fast_reads)) as http:
        for _ in range(2):
            assert await _titles(http) == ["on the primary"]
            detail = await http.get(f"{BASE}/{incidents['primary']}", headers=auth(TENANT))
            assert detail.status_code == 200
            run = await http.get(f"{BASE}/by-run/run-primary", headers=auth(TENANT))
            assert (run.status_code, run.json()["total"]) == (200, 1)
        assert await _cost_impact(http) == 1.0
        summary = await http.get(
            "/guard/costs/summary?now=2026-03-02T13:00:00Z", headers=auth(TENANT)
        )
        assert summary.status_code == 200, summary.text


async def test_without_a_read_url_everything_reads_the_primary(
    settings_for: Any, incidents: dict[str, str]
) -> None:
    async with running_client(settings_for(None, True)) as http:
        assert await _titles(http) == ["on the primary"]
        assert await _titles(http) == ["on the primary"]
        assert await _cost_impact(http) == 1.0
