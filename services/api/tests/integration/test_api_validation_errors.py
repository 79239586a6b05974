"""422 answers name the field as the client wrote it and list allowed values as plain strings
(docs/api/README.md); date-time parameters take RFC 3339 only, exactly as the schema says."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration
INCIDENTS = "/api/v1/incidents"


def _error(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error: dict[str, str] = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["code"] == "validation_error"
    return error


async def test_an_enum_body_field_lists_its_values_as_plain_strings(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    path = f"{INCIDENTS}/{uuid.uuid4()}/export/evidence"
    error = _error(await client.post(path, json={"format": "xml"}, headers=headers))
    assert error["field"] == "format"
    assert error["message"] == "format: Input should be 'json' or 'zip'"
    pdf = f"{INCIDENTS}/{uuid.uuid4()}/export/soc2"
    error = _error(await client.post(pdf, json={"format": "json"}, headers=headers))
    assert error["message"] == "format: Input should be 'pdf'"


async def test_a_query_enum_lists_its_values(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(f"{INCIDENTS}/active", params={"severity": "x"}, headers=headers)
    error = _error(response)
    assert error["field"] == "severity"
    assert "'low', 'medium', 'high' or 'critical'" in error["message"]
    assert "<" not in error["message"]


async def test_malformed_json_names_the_body_not_a_character_offset(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        f"{INCIDENTS}/{uuid.uuid4()}/acknowledge",
        content=b'{"notes": "x",,}',
        headers={**headers, "Content-Type": "application/json"},
    )
    error = _error(response)
    assert error["field"] == "body"
    assert error["message"].startswith("body: is not valid JSON")
    assert "at character 14" in error["message"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"{INCIDENTS}/active", "created_after"),
        (f"{INCIDENTS}/active", "created_before"),
        (f"{INCIDENTS}/resolved", "resolved_after"),
        (f"{INCIDENTS}/resolved", "resolved_before"),
        (f"{INCIDENTS}/metrics", "now"),
        ("/guard/costs/summary", "now"),
    ],
)
@pytest.mark.parametrize("value", ["0.5", "14896", "2026-03-02", "2026-03-02T12:00:00"])
async def test_date_times_are_rfc3339_only(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, field: str, value: str
) -> None:
    error = _error(await client.get(path, params={field: value}, headers=headers))
    assert error["field"] == field
    assert "RFC 3339" in error["message"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{INCIDENTS}/active", {"created_after": "0001-01-01T00:00:00+05:00"}),
        (f"{INCIDENTS}/active", {"created_before": "9999-12-31T23:59:59.999999999-23:59"}),
        (f"{INCIDENTS}/resolved", {"resolved_after": "0136-10-10T06:57:45z"}),
        (f"{INCIDENTS}/metrics", {"now": "1972-01-01T00:00:00+23:59"}),
        (f"{INCIDENTS}/historical/cost-trend", {"now": "9996-12-31T23:59:59-23:59"}),
        ("/guard/costs/explained", {"now": "2026-03-02t12:30:00.5z"}),
    ],
)
async def test_every_value_the_schema_admits_is_accepted(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text


async def test_now_outside_the_documented_years_names_them(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(
        f"{INCIDENTS}/patterns", params={"now": "0136-10-10T06:57:45Z"}, headers=headers
    )
    error = _error(response)
    assert error["field"] == "now"
    assert "1972-9996" in error["message"]


# Fuzzing findings: text the published command or event cannot carry (U+0000, PostgreSQL text
# cannot store it; blank, empty once the contract strips it) was accepted — a 202 whose command
# the exporter or notifier then could not apply, or a 500 when the contract refused it here.
TEXT_BODIES = [
    (f"{INCIDENTS}/{uuid.uuid4()}/export/evidence", {"format": "json"}, "export_reason"),
    (f"{INCIDENTS}/{uuid.uuid4()}/export/evidence", {"format": "zip"}, "prepared_for"),
    (f"{INCIDENTS}/{uuid.uuid4()}/export/soc2", {"format": "pdf"}, "prepared_for"),
    ("/api/v1/exports/audit-period",
     {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "export_reason"),
    ("/api/v1/exports/audit-period",
     {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}, "prepared_for"),
    ("/api/v1/notification-channels",
     {"kind": "webhook", "url": "https://example.com/hook"}, "name"),
    ("/api/v1/notification-channels", {"kind": "webhook", "name": "n"}, "url"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field"),
    TEXT_BODIES,
    ids=[f"{p.split('/')[-1]}.{f}" for p, _, f in TEXT_BODIES],
)
async def test_nul_in_a_text_body_field_is_422_naming_it(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, body: dict[str, str], field: str
) -> None:
    value = "https://example.com/a\u0000b" if field == "url" else "a\u0000b"
    error = _error(await client.post(path, json=body | {field: value}, headers=headers))
    assert error["field"] == field
    assert error["message"] == f"{field}: must not contain the NUL character (U+0000)"


BLANK_BODIES = [case for case in TEXT_BODIES if case[2] in ("prepared_for", "name")]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    BLANK_BODIES,
    ids=[f"{p.split('/')[-1]}.{f}" for p, _, f in BLANK_BODIES],
)
async def test_a_blank_required_text_is_422_not_500(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, body: dict[str, str], field: str
) -> None:
    error = _error(await client.post(path, json=body | {field: " \t\u3000"}, headers=headers))
    assert error["field"] == field
    assert error["message"] == f"{field}: String should have at least 1 character"


# Fuzzing findings: a repeated single-value parameter was narrowed to its last value
# (``severity=low&severity=high`` listed only high incidents, 200), and the export routes
# ignored unknown parameters (``?wiat=5`` answered 202 without waiting).
@pytest.mark.parametrize(
    ("path", "query", "field"),
    [(f"{INCIDENTS}", "severity=low&severity=high", "severity"),
     (f"{INCIDENTS}/active", "limit=1&limit=2", "limit"),
     (f"{INCIDENTS}/metrics", "window_days=7&window_days=30", "window_days"),
     ("/guard/costs/explained", "period=7d&period=30d", "period"),
     ("/api/v1/exports", "limit=5&kind=soc2&limit=6", "limit")],
)  # fmt: skip
async def test_a_repeated_single_value_parameter_is_422_not_its_last_value(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, query: str, field: str
) -> None:
    error = _error(await client.get(f"{path}?{query}", headers=headers))
    assert error == {
        "code": "validation_error",
        "message": f"{field}: takes one value, given 2 times",
        "field": field,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", f"{INCIDENTS}/{uuid.uuid4()}/export/evidence?wiat=5"),
     ("GET", f"/api/v1/exports/{uuid.uuid4()}/download?wiat=5"),
     ("GET", "/api/v1/exports/signing-key?kid=x")],
)  # fmt: skip
async def test_the_export_routes_refuse_an_unknown_parameter(
    client: httpx.AsyncClient, headers: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(method, path, json={"format": "json"}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unknown_parameter"


@pytest.mark.parametrize("wait", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "path", [f"{INCIDENTS}/{uuid.uuid4()}/export/evidence", "/api/v1/notification-channels"]
)
async def test_a_wait_that_is_not_a_number_says_so(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, wait: str
) -> None:
    # It read "wait: Input should be less than or equal to 30" for nan (fuzzing).
    body = {"format": "json", "name": "n", "kind": "webhook", "url": "https://example.com/h"}
    body = {k: v for k, v in body.items() if (k == "format") == path.endswith("evidence")}
    error = _error(await client.post(f"{path}?wait={wait}", json=body, headers=headers))
    assert (error["field"], error["message"]) == ("wait", "wait: Input should be a finite number")
