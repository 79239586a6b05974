"""Schemathesis over the export operations (the main run leaves them to this one).

A live uvicorn serves the app; every export operation gets generated valid and invalid input with
a valid token, and must answer only documented statuses with bodies that match the schema, never
5xx. ``?wait=`` is set to 0 so a generated wait of up to 30 s does not stall the run (waiting is
covered by test_api_exports.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from guard_api.config import Environment
from guard_api.main import create_app
from guard_contracts.topics import Topics

from .conftest import api_settings, auth, serve_on_loopback

pytestmark = pytest.mark.integration
TENANT = "schemathesis-exports"


@pytest.fixture(scope="module")
def live_exports_api(database_url: str, kafka_bootstrap: str, topics: Topics) -> Iterator[str]:
    base = api_settings(database_url, kafka_bootstrap, topics, Environment.PREFLIGHT)
    # Requests go to this module's topic, never the shared default one.
    app = create_app(base.model_copy(update={"topic_export_requests": topics.export_requests}))
    with serve_on_loopback(app) as url:
        yield url


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_export_operations_conform_to_the_openapi(
    live_exports_api: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_exports_api}/openapi.json")
    operations = [
        op for op in (result.ok() for result in schema.get_all_operations()) if "/export" in op.path
    ]
    # three requests, status, download, signing key, audit-period request, history
    assert len(operations) == 8
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(case: schemathesis.Case) -> None:
            if isinstance(case.query, dict) and isinstance(case.query.get("wait"), int | float):
                case.query["wait"] = 0
            case.call_and_validate(base_url=live_exports_api, headers=auth(TENANT))

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
