"""The gateway with the real exporter beside it (in-process), for the export tests: the API
publishes export requests, the exporter renders them from PostgreSQL rows, the API serves them.

The exporter's own test harness (its in-process runner and sample incident rows) lives in
``services/exporter/tests``; it is put on the path here, once, for every export test module.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from guard_api.config import Environment, Settings
from guard_api.main import create_app
from guard_contracts.topics import Topics

sys.path.insert(0, str(Path(__file__).parents[3] / "exporter" / "tests"))
from exporter_harness import KEY, exporter_settings, running_exporter
from exporter_samples import insert_rows, sample_rows

__all__ = ["KEY", "exporting_client", "insert_rows", "sample_rows"]


@asynccontextmanager
async def exporting_client(
    database_url: str, kafka_bootstrap: str, topics: Topics, jwt_secret: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a preflight gateway (HS256 tokens signed with ``jwt_secret``) whose
    export requests a running exporter serves."""
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_incident_commands=topics.incident_commands,
        topic_export_requests=topics.export_requests,
        environment=Environment.PREFLIGHT,
        jwt_secret=jwt_secret,
        db_pool_size=5,
    )
    app = create_app(settings)
    async with (
        running_exporter(exporter_settings(database_url, kafka_bootstrap, topics)),
        app.router.lifespan_context(app),
    ):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client
