"""Schemathesis over the export operations (the main run leaves them to this one).

A live uvicorn serves the app; every export operation gets generated valid and invalid input with
a valid token (derandomised, every response check of fuzz.py), and must answer only documented
statuses with bodies that match the schema, never 5xx. ``?wait=`` is set to 0 so a generated wait of up to 30 s does not stall the run (waiting is
covered by test_api_exports.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis import GenerationMode

from guard_api.adapters.exports_ports import MAX_WAIT_SECONDS
from guard_api.config import Environment
from guard_api.main import create_app
from guard_contracts.topics import Topics

from . import fuzz
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


def _no_waiting(case: schemathesis.Case, mode: GenerationMode) -> None:
    wait = case.query.get("wait") if isinstance(case.query, dict) else None
    # A valid wait becomes 0 (an invalid one is left for the API to refuse).
    if isinstance(wait, int | float) and 0 <= wait <= MAX_WAIT_SECONDS:
        case.query["wait"] = 0


def is_export(_: str, path: str) -> bool:
    return "/export" in path


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_export_operations_conform_to_the_openapi(
    live_exports_api: str, mode: GenerationMode
) -> None:
    schema = fuzz.load(live_exports_api)
    operations = fuzz.select(schema, is_export)
    # three requests, status, download, signing key, audit-period request, history
    assert len(operations) == 8
    failures = fuzz.fuzz(
        live_exports_api, operations, mode, auth(TENANT), max_examples=30, adjust=_no_waiting
    )
    assert not failures, "\n\n".join(failures)
