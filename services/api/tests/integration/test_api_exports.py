"""Export endpoints end to end: the API publishes export.requested, the real exporter (in-process)
renders it from Postgres rows, and the API serves status and download (docs/product/rest-api.md#exports)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from guard_contracts.topics import Topics
from guard_devtools.token import mint
from guard_exporter.engines.keys import key_id
from guard_exporter.engines.verify import verify_bundle

from .exporting import KEY, exporting_client, insert_rows, sample_rows

pytestmark = pytest.mark.integration
SECRET = "api-exports-test-secret-0123456789abcdef"


def _auth(tenant_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(tenant_id, subject='auditor-1', secret=SECRET)}"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def exports_client(
    database_url: str, kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[httpx.AsyncClient]:
    async with exporting_client(database_url, kafka_bootstrap, topics, SECRET) as client:
        yield client


@pytest.fixture
async def incident(db: Any, tenant_id: str) -> uuid.UUID:
    rows = sample_rows(tenant_id, n_timeline=12, n_steps=10)
    await insert_rows(db, rows)
    return rows.incident["incident_id"]


async def test_evidence_zip_is_rendered_downloadable_and_verifiable(
    exports_client: httpx.AsyncClient, tenant_id: str, incident: uuid.UUID
) -> None:
    answer = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/evidence?wait=25",
        json={"format": "zip", "export_reason": "audit", "prepared_for": "Audit committee"},
        headers=_auth(tenant_id),
    )
    # Finished within ?wait: 200 with the result, not 202.
    assert answer.status_code == 200, answer.text
    accepted = answer.json()
    assert accepted["status"] == "completed"
    export_id = accepted["export_id"]
    assert accepted["links"]["download"] == f"/api/v1/exports/{export_id}/download"

    status = (
        await exports_client.get(f"/api/v1/exports/{export_id}", headers=_auth(tenant_id))
    ).json()
    assert status["status"] == "completed"
    assert status["error"] is None
    assert status["requested_by"] == "auditor-1"

    download = await exports_client.get(accepted["links"]["download"], headers=_auth(tenant_id))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert (
        download.headers["content-disposition"] == f'attachment; filename="evidence_{incident}.zip"'
    )
    keys = (
        await exports_client.get("/api/v1/exports/signing-key", headers=_auth(tenant_id))
    ).json()
    # The key that signed this export (other tests may list other keys, e.g. the development one).
    signer = key_id(KEY.public_key())
    pem = next(k["public_key_pem"] for k in keys["keys"] if k["key_id"] == signer)
    public_key = load_pem_public_key(pem.encode())
    assert verify_bundle(download.content, public_key).ok  # type: ignore[arg-type]
    assert verify_bundle(download.content, KEY.public_key()).ok


@pytest.mark.parametrize(
    ("path", "filename"), [("soc2", "soc2"), ("executive-debrief", "executive_debrief")]
)
async def test_pdf_exports_download_with_their_filename(
    exports_client: httpx.AsyncClient, tenant_id: str, incident: uuid.UUID, path: str, filename: str
) -> None:
    answer = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/{path}",
        json={"format": "pdf"},
        headers=_auth(tenant_id),
    )
    assert answer.status_code == 202
    assert answer.json()["status"] in ("pending", "rendering", "completed")
    download = await exports_client.get(
        f"/api/v1/exports/{answer.json()['export_id']}/download?wait=25", headers=_auth(tenant_id)
    )
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    assert f'filename="{filename}_{incident}.pdf"' in download.headers["content-disposition"]
    assert download.content.startswith(b"%PDF")


async def test_another_tenants_export_is_not_found(
    exports_client: httpx.AsyncClient, tenant_id: str, incident: uuid.UUID
) -> None:
    answer = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/evidence?wait=25",
        json={"format": "json"},
        headers=_auth(tenant_id),
    )
    export_id = answer.json()["export_id"]
    stranger = _auth("tenant-somebody-else")
    for path in (f"/api/v1/exports/{export_id}", f"/api/v1/exports/{export_id}/download"):
        reply = await exports_client.get(path, headers=stranger)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "not_found"
    other = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/soc2", json={"format": "pdf"}, headers=stranger
    )
    assert other.status_code == 404


async def test_request_validation(
    exports_client: httpx.AsyncClient, tenant_id: str, incident: uuid.UUID
) -> None:
    unknown = await exports_client.post(
        f"/api/v1/incidents/{uuid.uuid4()}/export/soc2",
        json={"format": "pdf"},
        headers=_auth(tenant_id),
    )
    assert unknown.status_code == 404
    wrong = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/soc2",
        json={"format": "zip"},
        headers=_auth(tenant_id),
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "format"
    too_long = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/evidence?wait=31",
        json={"format": "zip"},
        headers=_auth(tenant_id),
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["field"] == "wait"
    missing = await exports_client.post(
        f"/api/v1/incidents/{incident}/export/evidence", json={}, headers=_auth(tenant_id)
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "format"
    anonymous = await exports_client.get(f"/api/v1/exports/{uuid.uuid4()}")
    assert anonymous.status_code == 401
    never = await exports_client.get(f"/api/v1/exports/{uuid.uuid4()}", headers=_auth(tenant_id))
    assert never.status_code == 404


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        ("failed", "render failed: ValueError: boom", "export_failed"),
        ("rendering", None, "export_not_ready"),
    ],
)
async def test_unfinished_or_failed_export_cannot_be_downloaded(
    exports_client: httpx.AsyncClient,
    db: Any,
    tenant_id: str,
    incident: uuid.UUID,
    status: str,
    error: str | None,
    code: str,
) -> None:
    export_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO export_jobs (export_id, tenant_id, incident_id, kind, format, status, error,"
        " requested_by, requested_at, attempts, updated_at)"
        " VALUES ($1, $2, $3, 'soc2', 'pdf', $4, $5, 'auditor-1', now(), 1, now())",
        export_id,
        tenant_id,
        incident,
        status,
        error,
    )
    shown = (
        await exports_client.get(f"/api/v1/exports/{export_id}", headers=_auth(tenant_id))
    ).json()
    assert (shown["status"], shown["error"]) == (status, error)
    download = await exports_client.get(
        f"/api/v1/exports/{export_id}/download?wait=0.3", headers=_auth(tenant_id)
    )
    assert download.status_code == 409
    assert download.json()["error"]["code"] == code
