"""The published OpenAPI is a complete, honest contract (docs/api/README.md): every operation
documents a typed success answer, and the date-time parameters' schema says exactly what their
validation accepts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import TypeAdapter, ValidationError
from schemathesis.specs.openapi.formats import rfc3339_values

from guard_api.adapters.rfc3339 import FILTER_PATTERN, NOW_PATTERN, UtcDateTime
from guard_api.config import Environment, Settings
from guard_api.entrypoints.params import Now
from guard_api.main import create_app

ANALYTICS_AND_COSTS = {
    "/api/v1/incidents/patterns": "PatternsPublic",
    "/api/v1/incidents/recurring": "RecurringPublic",
    "/api/v1/incidents/cost-impact": "CostImpactPublic",
    "/api/v1/incidents/metrics": "MetricsPublic",
    "/api/v1/incidents/historical/trend": "HistoricalTrendPublic",
    "/api/v1/incidents/historical/distribution": "HistoricalDistributionPublic",
    "/api/v1/incidents/historical/cost-trend": "HistoricalCostTrendPublic",
    "/guard/costs/summary": "CostSummaryPublic",
    "/guard/costs/explained": "CostExplainedPublic",
    "/guard/costs/incidents": "CostIncidentsPublic",
}
DATE_TIME_PARAMS = {"created_after", "created_before", "resolved_after", "resolved_before", "now"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    settings_ = Settings(environment=Environment.DEVELOPMENT, jwt_secret="u" * 40)
    return create_app(settings_).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_typed(spec: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    """Not missing, not ``{}``, not a bare ``{"type": "object"}`` without properties."""
    if not schema:
        return False
    resolved = _resolve(spec, schema)
    if resolved.get("type") == "object":
        return bool(resolved.get("properties"))
    return bool(resolved.get("type") or resolved.get("anyOf") or resolved.get("oneOf"))


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


def test_every_operation_documents_a_typed_success_answer(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) >= 29
    untyped = []
    for method, path, op in operations:
        success = [r for status, r in op["responses"].items() if status.startswith("2")]
        schemas = [c.get("schema") for r in success for c in r.get("content", {}).values()]
        if not any(_is_typed(spec, s) for s in schemas):
            untyped.append(f"{method} {path}")
    assert untyped == []


@pytest.mark.parametrize(("path", "model"), ANALYTICS_AND_COSTS.items())
def test_analytics_and_costs_answer_their_public_models(
    spec: dict[str, Any], path: str, model: str
) -> None:
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    assert content["schema"] == {"$ref": f"#/components/schemas/{model}"}
    resolved = _resolve(spec, content["schema"])
    assert resolved["additionalProperties"] is False  # closed: nothing undocumented slips out
    stamps = {"generated_at", "as_of", "period_end"} & set(resolved["properties"])
    assert stamps, "every analytics answer says which now it was computed for"
    for name in stamps:
        assert resolved["properties"][name]["format"] == "date-time"


def test_date_time_parameters_publish_format_and_the_pattern_they_validate(
    spec: dict[str, Any],
) -> None:
    seen = set()
    for _, _, op in _operations(spec):
        for param in op.get("parameters", []):
            if param["name"] not in DATE_TIME_PARAMS:
                continue
            seen.add(param["name"])
            schema = param["schema"]
            branch = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")
            assert branch["format"] == "date-time"
            expected = NOW_PATTERN if param["name"] == "now" else FILTER_PATTERN
            assert branch["pattern"] == expected
    assert seen == DATE_TIME_PARAMS


def test_error_answers_share_the_error_body(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


_NOW = TypeAdapter(Now)
_FILTER = TypeAdapter(UtcDateTime)


# What schemathesis generates for ``format: date-time`` (any year 0001-9999, any offset), kept to
# the values the published pattern admits: each must be accepted, the rest refused. Derandomised.
@settings(derandomize=True, database=None, max_examples=400)
@given(value=rfc3339_values("date-time"))
def test_the_schema_and_the_validation_agree_on_every_generated_date_time(value: str) -> None:
    for adapter, pattern in ((_NOW, NOW_PATTERN), (_FILTER, FILTER_PATTERN)):
        if re.fullmatch(pattern, value):  # as ECMA reads "$": no trailing newline
            parsed = adapter.validate_python(value)
            assert parsed is not None
            assert parsed.tzinfo is UTC
        else:
            with pytest.raises(ValidationError):
                adapter.validate_python(value)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("2026-03-02T12:00:00Z", True),
        ("2026-03-02t12:00:00.123456789z", True),  # RFC 3339 allows lower case and any fraction
        ("1972-01-01T00:00:00+23:59", True),
        ("9996-12-31T23:59:59-23:59", True),
        ("0136-10-10T06:57:45Z", False),  # outside the documented years, and the schema says so
        ("1971-12-31T23:59:59Z", False),
        ("9997-01-01T00:00:00Z", False),
        ("0.5", False),
        ("14896", False),
        ("2026-03-02T12:00:00", False),  # no offset
        ("2026-03-02", False),
        ("2026-02-29T00:00:00Z", False),  # not a leap year
        ("2026-03-02T12:00:00Z\n", False),
    ],
)
def test_now_accepts_exactly_the_documented_values(value: str, accepted: bool) -> None:
    assert bool(re.fullmatch(NOW_PATTERN, value)) is (accepted or value == "2026-02-29T00:00:00Z")
    if accepted:
        assert _NOW.validate_python(value) is not None
    else:
        with pytest.raises(ValidationError):
            _NOW.validate_python(value)


def test_filters_clamp_an_offset_that_leaves_the_calendar() -> None:
    assert _FILTER.validate_python("0001-01-01T00:00:00+05:00") == datetime.min.replace(tzinfo=UTC)
    assert _FILTER.validate_python("9999-12-31T23:00:00-05:00") == datetime.max.replace(tzinfo=UTC)
    assert _FILTER.validate_python("2026-03-02T00:00:00+02:00") == datetime(
        2026, 3, 1, 22, tzinfo=UTC
    )
