"""Property-based run of schemathesis over the published OpenAPI, against a live uvicorn.

Every documented operation is exercised with generated (valid and invalid) input and a valid
token, derandomised (fuzz.py); the run fails on any 5xx, undocumented status, response that breaks
its schema, invalid input accepted or valid input refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from schemathesis import GenerationMode

from guard_api.config import Environment
from guard_api.entrypoints import health, incident_item, incident_lists
from guard_api.main import create_app

from . import fuzz
from .conftest import T0, api_settings, auth, serve_on_loopback

pytestmark = pytest.mark.integration
TENANT = "schemathesis-tenant"
OWN_OPERATIONS = {
    (method, route.path)
    for router in (health.router, incident_lists.router, incident_item.router)
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods
}


def _seed(database_url: str) -> None:
    """A few incidents so list answers carry items whose schema gets checked."""
    import asyncpg

    from guard_storage.db import to_asyncpg_dsn

    async def insert() -> None:
        conn = await asyncpg.connect(to_asyncpg_dsn(database_url))
        try:
            for n, (state, severity) in enumerate(
                [("ACTIVE", "high"), ("ACKED", "low"), ("RESOLVED", "critical")]
            ):
                created = T0 + timedelta(minutes=n)
                await conn.execute(
                    "INSERT INTO incidents (incident_id, tenant_id, lifecycle_state, severity,"
                    " category, cause_type, title, description, source_type, fingerprint,"
                    " llm_run_id, created_at, first_event_at, last_event_at, resolved_at,"
                    " resolution_method, updated_at) VALUES (gen_random_uuid(), $1, $2, $3,"
                    " 'FREEZE', 'LLM_RUN', 't', 'd', 'killswitch', 'fp', 'run-1', $4, $4, $4,"
                    " $5, $6, $4)",
                    TENANT, state, severity, created,
                    created if state == "RESOLVED" else None,
                    "manual" if state == "RESOLVED" else None,
                )  # fmt: skip
        finally:
            await conn.close()

    asyncio.run(insert())


@pytest.fixture(scope="module")
def live_api(database_url: str, kafka_bootstrap: str, topics) -> Iterator[str]:
    _seed(database_url)
    app = create_app(api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT))
    with serve_on_loopback(app) as url:
        yield url


# schemathesis' own pytest plugin does not run under pytest 9, so each operation is driven
# through its hypothesis strategy (derandomised, see fuzz.py), in both generation modes.
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_api_conforms_to_its_openapi(live_api: str, mode: GenerationMode) -> None:
    # The operations of this module's routers; the analytics and export routers added to the
    # same app are checked by their own modules.
    operations = fuzz.select(fuzz.load(live_api), lambda m, p: (m, p) in OWN_OPERATIONS)
    assert len(operations) >= 13
    failures = fuzz.fuzz(live_api, operations, mode, auth(TENANT), max_examples=40)
    assert not failures, "\n\n".join(failures)
