from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_active_lists_open_incidents(client, headers, tenant_id, insert_incident) -> None:
    await insert_incident(tenant_id)
    await insert_incident(tenant_id, lifecycle_state="RESOLVED")
    response = await client.get("/api/v1/incidents/active", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    print(body)
    assert body["total"] == 1
