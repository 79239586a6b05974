"""Fixtures of the API integration tests: the app on the real Postgres and Kafka, tokens, rows."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from guard_api.config import Environment, Settings
from guard_api.main import create_app
from guard_contracts.chain import link_hash
from guard_contracts.topics import Topics
from guard_devtools.token import mint

SECRET = "api-integration-test-secret-0123456789abcdef"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

InsertIncident = Callable[..., Awaitable[uuid.UUID]]


def api_settings(
    database_url: str, kafka: str, topics: Topics, environment: Environment
) -> Settings:
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        topic_incident_commands=topics.incident_commands,
        environment=environment,
        jwt_secret=SECRET,
        db_pool_size=5,
        # Tests of other behaviour (and the fuzzers) must not run into the per-tenant limits;
        # test_api_gateway_ops turns them on with small limits.
        rate_limit_enabled=False,
    )


@asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, behind an in-process ASGI transport."""
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
    async with running_client(settings) as http:
        yield http


def auth(tenant_id: str | None, subject: str = "operator-1", **claims: Any) -> dict[str, str]:
    """Authorization header with a token for ``tenant_id`` signed with the test secret."""
    token = mint(tenant_id or "unused", subject=subject, secret=SECRET)
    if tenant_id is None or claims:
        payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience="console")
        if tenant_id is None:
            del payload["tenant_id"]
        payload.update(claims)
        token = jwt.encode(payload, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers(tenant_id: str) -> dict[str, str]:
    return auth(tenant_id)


_COLUMNS = (
    "incident_id, tenant_id, lifecycle_state, severity, category, cause_type, title, description,"
    " source_type, fingerprint, llm_run_id, affected_agent_id, policy_id, trigger_type,"
    " calls_affected, event_count, cost_impact_micros, created_at, first_event_at, last_event_at,"
    " acked_at, acked_by, resolved_at, resolved_by, resolution_method, recurrence_of,"
    " is_synthetic, updated_at"
)


@pytest.fixture
def insert_incident(db: asyncpg.Connection[Any]) -> InsertIncident:
    """Insert one incident row with plain SQL (the table ingest writes); returns its id."""

    async def insert(tenant_id: str, **fields: Any) -> uuid.UUID:
        created = fields.pop("created_at", T0)
        row: dict[str, Any] = {
            "incident_id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "lifecycle_state": "ACTIVE",
            "severity": "medium",
            "category": "RATE_LIMIT",
            "cause_type": "SYSTEM",
            "title": "Rate limit hit",
            "description": "A rate limit stopped the run",
            "source_type": "killswitch",
            "fingerprint": "rate_limit|p1|agent-1",
            "llm_run_id": None,
            "affected_agent_id": "agent-1",
            "policy_id": "p1",
            "trigger_type": "rate_limit",
            "calls_affected": 1,
            "event_count": 1,
            "cost_impact_micros": 0,
            "created_at": created,
            "first_event_at": created,
            "last_event_at": created,
            "acked_at": None,
            "acked_by": None,
            "resolved_at": None,
            "resolved_by": None,
            "resolution_method": None,
            "recurrence_of": None,
            "is_synthetic": False,
            "updated_at": created,
        }
        unknown = set(fields) - set(row)
        assert not unknown, f"unknown incident columns {unknown}"
        row.update(fields)
        placeholders = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        await db.execute(
            f"INSERT INTO incidents ({_COLUMNS}) VALUES ({placeholders})", *row.values()
        )
        return uuid.UUID(str(row["incident_id"]))

    return insert


async def insert_timeline(
    db: asyncpg.Connection[Any], tenant_id: str, incident_id: uuid.UUID, entries: int
) -> None:
    """A correctly chained timeline, hashed exactly as the common brief says ingest hashes it."""
    prev: str | None = None
    for sequence in range(1, entries + 1):
        occurred = T0 + timedelta(seconds=sequence)
        source = uuid.uuid4()
        data = {"calls_affected": sequence, "note": f"entry {sequence}"}
        entry_type = "created" if sequence == 1 else "event_attached"
        entry = {
            "sequence": sequence,
            "entry_type": entry_type,
            "occurred_at": occurred.isoformat(),
            "source_event_id": str(source),
            "data": data,
        }
        digest = link_hash(prev, entry)
        await db.execute(
            "INSERT INTO incident_events (incident_id, sequence, tenant_id, entry_type,"
            " occurred_at, source_event_id, data, prev_hash, hash)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
            incident_id,
            sequence,
            tenant_id,
            entry_type,
            occurred,
            source,
            json.dumps(data),
            prev,
            digest,
        )
        prev = digest
    # Keep the incident row's chain head consistent, as ingest does: its idle sweep (run by other
    # modules' tests in this shared database) appends to the chain from these columns.
    await db.execute(
        "UPDATE incidents SET timeline_length = $2, timeline_head = $3 WHERE incident_id = $1",
        incident_id,
        entries,
        prev,
    )


@contextmanager
def serve_on_loopback(app: FastAPI) -> Iterator[str]:
    """Run the app in a real uvicorn on a free 127.0.0.1 port (for schemathesis); yield its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
