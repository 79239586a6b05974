"""Schemathesis over the analytics and cost operations (positive and negative input, derandomised,
every response check of fuzz.py). The live server fixture is the one of ``test_api_schemathesis``.
"""

from __future__ import annotations

import pytest
from schemathesis import GenerationMode

from . import fuzz
from .conftest import auth
from .test_api_schemathesis import TENANT, live_api

pytestmark = pytest.mark.integration
__all__ = ["live_api"]  # the fixture, imported to be used here


def is_analytics(method: str, path: str) -> bool:
    fixed = ("patterns", "recurring", "cost-impact", "metrics", "historical/")
    return method == "GET" and (
        path.startswith("/guard/costs/")
        or any(path.startswith(f"/api/v1/incidents/{name}") for name in fixed)
    )


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_analytics_operations_conform_to_the_openapi(live_api: str, mode: GenerationMode) -> None:
    # ``now`` needs no help: its schema states the accepted years (a pattern beside
    # ``format: date-time``), so every generated valid value is one the API accepts.
    operations = fuzz.select(fuzz.load(live_api), is_analytics)
    assert len(operations) == 10
    failures = fuzz.fuzz(live_api, operations, mode, auth(TENANT), max_examples=30)
    assert not failures, "\n\n".join(failures)
