"""Audit-period exports and the export history over HTTP, with the real exporter in-process."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from guard_contracts.topics import Topics
from guard_devtools.token import mint
from guard_exporter.engines.verify import verify_bundle

from .exporting import KEY, exporting_client, insert_rows, sample_rows

pytestmark = pytest.mark.integration
SECRET = "api-history-test-secret-0123456789abcdef"
PERIOD = {"from": "2026-11-19T00:00:00Z", "to": "2026-11-21T00:00:00Z"}


def _auth(tenant_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(tenant_id, subject='auditor-9', secret=SECRET)}"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[httpx.AsyncClient]:
    async with exporting_client(database_url, kafka_bootstrap, topics, SECRET) as client:
        yield client


async def _audit(client: httpx.AsyncClient, tenant_id: str, **body: Any) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/exports/audit-period", json={**PERIOD, **body}, headers=_auth(tenant_id)
    )
    assert answer.status_code == 202, answer.text
    accepted: dict[str, Any] = answer.json()
    return accepted


async def test_an_audit_period_export_is_a_verifiable_zip_of_the_period(
    client: httpx.AsyncClient, db: Any, tenant_id: str
) -> None:
    rows = sample_rows(tenant_id, n_timeline=6, n_steps=2)
    await insert_rows(db, rows)
    accepted = await _audit(client, tenant_id, filters={"severities": ["critical"]})
    assert (accepted["kind"], accepted["format"], accepted["status"]) == (
        "audit_period", "zip", "pending",
    )  # fmt: skip
    download = await client.get(
        f"{accepted['links']['download']}?wait=25", headers=_auth(tenant_id)
    )
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    assert verify_bundle(download.content, KEY.public_key()).ok
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        csv_rows = archive.read("incidents.csv").decode().splitlines()
    assert len(csv_rows) == 2  # header + the one critical incident of the period
    assert str(rows.incident["incident_id"]) in csv_rows[1]
    status = (await client.get(accepted["links"]["self"], headers=_auth(tenant_id))).json()
    assert (status["status"], status["incident_id"]) == ("completed", None)


async def test_the_history_lists_the_tenants_exports_newest_first_in_pages(
    client: httpx.AsyncClient, db: Any, tenant_id: str
) -> None:
    rows = sample_rows(tenant_id, n_timeline=5, n_steps=1)
    await insert_rows(db, rows)
    incident_id = rows.incident["incident_id"]
    first = await client.post(
        f"/api/v1/incidents/{incident_id}/export/evidence?wait=25",
        json={"format": "json"},
        headers=_auth(tenant_id),
    )
    assert first.status_code == 200, first.text  # finished within ?wait
    second = await _audit(client, tenant_id)
    await client.get(f"{second['links']['download']}?wait=25", headers=_auth(tenant_id))
    await _audit(client, f"{tenant_id}-x")  # another tenant's export is not listed

    page = (await client.get("/api/v1/exports?limit=1", headers=_auth(tenant_id))).json()
    assert [i["export_id"] for i in page["items"]] == [second["export_id"]]
    assert page["items"][0]["period"]["period_from"].startswith("2026-11-19")
    assert page["next_cursor"]
    rest = (
        await client.get(
            f"/api/v1/exports?limit=1&cursor={page['next_cursor']}", headers=_auth(tenant_id)
        )
    ).json()
    assert [i["export_id"] for i in rest["items"]] == [first.json()["export_id"]]
    assert rest["items"][0]["incident_id"] == str(incident_id)
    assert rest["next_cursor"] is None
    only = (
        await client.get(f"/api/v1/exports?incident_id={incident_id}", headers=_auth(tenant_id))
    ).json()
    assert [i["kind"] for i in only["items"]] == ["evidence"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("cursor=not-a-cursor", "cursor"), ("limit=0", "limit"), ("kind=x", "kind")],
)
async def test_bad_history_queries_name_the_field(
    client: httpx.AsyncClient, tenant_id: str, query: str, field: str
) -> None:
    answer = await client.get(f"/api/v1/exports?{query}", headers=_auth(tenant_id))
    assert answer.status_code == 422
    assert field in answer.text


@pytest.mark.parametrize(
    "body",
    [
        {**PERIOD, "filters": {"severities": ["urgent"]}},
        {"from": "2026-11-19T00:00:00"},
    ],
)
async def test_bad_audit_requests_are_422(
    client: httpx.AsyncClient, tenant_id: str, body: dict[str, Any]
) -> None:
    answer = await client.post("/api/v1/exports/audit-period", json=body, headers=_auth(tenant_id))
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(
    "value", [0, 1700000000, "1700000000", "2026-11-19", "2026-11-19T00:00:00"]
)
@pytest.mark.parametrize("field", ["from", "to"])
async def test_period_bounds_are_rfc3339_only(
    client: httpx.AsyncClient, tenant_id: str, field: str, value: object
) -> None:
    """A bare number was read as a unix time (found by the exploratory fuzz run)."""
    body = {**PERIOD, field: value}
    answer = await client.post("/api/v1/exports/audit-period", json=body, headers=_auth(tenant_id))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == field
    assert "RFC 3339" in error["message"]


async def test_period_bounds_with_an_offset_are_the_same_instants_in_utc(
    client: httpx.AsyncClient, tenant_id: str
) -> None:
    body = {**PERIOD, "from": "2026-11-19T02:00:00+02:00", "to": "2026-11-20t00:00:00.5z"}
    answer = await client.post("/api/v1/exports/audit-period", json=body, headers=_auth(tenant_id))
    assert answer.status_code == 202, answer.text
    assert answer.json()["period_from"] == "2026-11-19T00:00:00Z"
    assert answer.json()["period_to"] == "2026-11-20T00:00:00.500000Z"


async def test_the_development_key_is_flagged_by_the_signing_key_endpoint(
    client: httpx.AsyncClient, db: Any, tenant_id: str
) -> None:
    from cryptography.hazmat.primitives import serialization

    from guard_exporter.engines.keys import DEVELOPMENT_KEY_ID, development_private_key

    # The real development public key: other tests of this database load every listed PEM.
    pem = (
        development_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    await db.execute(
        "INSERT INTO export_signing_keys (key_id, algorithm, public_key_pem, development)"
        " VALUES ($1, 'Ed25519', $2, true) ON CONFLICT DO NOTHING",
        DEVELOPMENT_KEY_ID,
        pem,
    )
    keys = (await client.get("/api/v1/exports/signing-key", headers=_auth(tenant_id))).json()
    by_id = {k["key_id"]: k for k in keys["keys"]}
    assert by_id[DEVELOPMENT_KEY_ID]["development"] is True
    assert "anyone can sign" in by_id[DEVELOPMENT_KEY_ID]["warning"]
    real = [k for k in keys["keys"] if k["key_id"] != DEVELOPMENT_KEY_ID]
    assert all(k["development"] is False and k["warning"] is None for k in real)
