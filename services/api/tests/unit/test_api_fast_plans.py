"""Each fast lane (docs/operations-gateway.md#fast-reads) knows exactly its route's query: the
same names, the same defaults and the same integer bounds (the integration tests
``test_api_fast_reads`` / ``test_api_fast_analytics`` then hold the answers to FastAPI's)."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from annotated_types import Ge, Le
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from guard_api.config import Environment, Settings
from guard_api.entrypoints.fast_plans import FIXED, LANES, Decline, Lane, plan
from guard_api.main import create_app

_APP = create_app(Settings(environment=Environment.DEVELOPMENT, jwt_secret="u" * 40))


def _route(lane: Lane) -> APIRoute:
    """The route as its router declares it (the app includes that router unchanged)."""
    endpoint = lane.endpoint()
    return next(r for r in lane.router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint)


def _query_fields(dependant: Dependant) -> dict[str, Any]:
    fields = {param.alias: param for param in dependant.query_params}
    for sub in dependant.dependencies:
        fields |= _query_fields(sub)
    return fields


def test_every_lane_names_a_get_route_of_the_app() -> None:
    paths = _APP.openapi()["paths"]
    for lane in LANES.values():
        assert _route(lane).path == lane.path
        assert "get" in paths[lane.path], lane.name


@pytest.mark.parametrize("lane", list(FIXED.values()), ids=list(FIXED))
def test_a_lane_takes_its_routes_parameters_with_the_same_defaults_and_bounds(
    lane: Lane,
) -> None:
    fields = _query_fields(_route(lane).dependant)
    assert set(fields) == set(lane.params)
    for name, field in fields.items():
        param = lane.params[name]
        assert param.default == field.field_info.default, name
        bounds = {type(m): m for m in field.field_info.metadata if isinstance(m, Ge | Le)}
        if bounds:
            low, high = bounds[Ge].ge, bounds[Le].le
            assert param.parse(str(low)) == low, name
            assert param.parse(str(high)) == high, name
            for outside in (str(low - 1), str(high + 1)):
                with pytest.raises(Decline):
                    param.parse(outside)
        choices = get_args(field.field_info.annotation) or (
            (field.field_info.json_schema_extra or {}).get("enum")  # type: ignore[union-attr]
        )
        if choices and all(isinstance(c, str) for c in choices):
            for choice in choices:
                assert param.parse(choice) == choice, name
            with pytest.raises(Decline):
                param.parse(choices[0].upper())


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/incidents/patterns", b"limit=01"),
        ("/api/v1/incidents/patterns", b"now=2026-03-01T00:00:00"),
        ("/api/v1/incidents/metrics", b"window_days=1&window_days=1"),
        ("/api/v1/incidents/historical/trend", b"granularity=year"),
        ("/guard/costs/incidents", b"include_resolved=True"),
        ("/guard/costs/explained", b"period=1d"),
        ("/guard/costs/summary", b"unknown=x"),
    ],
)
def test_not_plainly_valid_requests_are_declined(path: str, query: bytes) -> None:
    with pytest.raises(Decline):
        plan(path, query)


def test_paths_no_lane_serves() -> None:
    for path in ("/guard/costs/summary/", "/api/v1/incidents/historical", "/health/live"):
        assert plan(path, b"") is None
