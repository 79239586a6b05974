"""Schemathesis over the analytics and cost operations (positive and negative input): no 5xx,
no undocumented status. The live server fixture is the one of ``test_api_schemathesis``."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from .conftest import auth
from .test_api_schemathesis import TENANT, live_api

pytestmark = pytest.mark.integration
__all__ = ["live_api"]  # the fixture, imported to be used here


def _is_analytics(path: str) -> bool:
    fixed = ("patterns", "recurring", "cost-impact", "metrics", "historical/")
    return path.startswith("/guard/costs/") or any(
        path.startswith(f"/api/v1/incidents/{name}") for name in fixed
    )


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_analytics_operations_conform_to_the_openapi(live_api: str, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{live_api}/openapi.json")
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.method.upper() == "GET" and _is_analytics(op.path)
    ]
    assert len(operations) == 10
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            if mode is GenerationMode.POSITIVE and case.query and "now" in case.query:
                # ``now`` is documented as 1971..9997 (422 outside), which a date-time schema
                # cannot express; valid runs use one in range, invalid runs fuzz it freely.
                case.query["now"] = "2026-03-02T12:30:00+00:00"
            case.call_and_validate(base_url=live_api, headers=auth(TENANT))

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
