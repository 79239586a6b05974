"""Every published path answers a method it does not document with 405 and an exact ``Allow``.

Found by the exploratory fuzz run (bench/fuzz/run_schemathesis.py, the coverage phase): Starlette
listed only the first matching route's methods (``OPTIONS /notification-channels`` said
``Allow: POST`` though GET is there too), and a template took a fixed path for a method the
fixed path lacks (``GET /exports/audit-period`` was refused as a malformed export id, 422).
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from .conftest import auth

pytestmark = pytest.mark.integration
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=7)), path)


async def test_undocumented_methods_are_405_with_the_documented_ones_in_allow(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    checked = 0
    for path, item in spec["paths"].items():
        documented = sorted(m.upper() for m in item if m.upper() in METHODS)
        for method in METHODS:
            if method in documented:
                continue
            response = await client.request(method, _concrete(path), headers=auth("tenant-m"))
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == ", ".join(documented), (method, path)
            assert response.json()["error"]["code"] == "method_not_allowed"
            checked += 1
    assert checked > 150


async def test_a_fixed_path_is_not_taken_for_a_template_parameter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/exports/audit-period", headers=auth("tenant-m"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    # A malformed id is still a malformed id: 422 naming it.
    response = await client.get("/api/v1/exports/not-an-id", headers=auth("tenant-m"))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "export_id"
