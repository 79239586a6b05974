"""The proof (O5) binds the timeline to the head the incident records (docs/exports.md).

Each tamper case leaves rows that may still chain among themselves; the proof must say TAMPERED
and name what is wrong.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import auth, insert_timeline

pytestmark = pytest.mark.integration
BASE = "/api/v1/incidents"


async def _integrity(client: Any, tenant_id: str, incident: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{incident}/proof", headers=auth(tenant_id))
    assert response.status_code == 200
    integrity: dict[str, Any] = response.json()["data"]["integrity"]
    return integrity


async def _arranged(db: Any, tenant_id: str, insert_incident: Any) -> uuid.UUID:
    incident: uuid.UUID = await insert_incident(tenant_id)
    await insert_timeline(db, tenant_id, incident, entries=5)
    return incident


async def test_an_intact_timeline_is_verified_against_the_recorded_head(
    client, db, tenant_id, insert_incident
) -> None:
    incident = await _arranged(db, tenant_id, insert_incident)
    integrity = await _integrity(client, tenant_id, incident)
    assert integrity["verification_status"] == "VERIFIED"
    assert integrity["recorded_event_count"] == 5
    assert integrity["recorded_root_hash"] == integrity["root_hash"]
    assert integrity["problems"] == []


async def test_deleting_the_newest_entries_reads_tampered(
    client, db, tenant_id, insert_incident
) -> None:
    incident = await _arranged(db, tenant_id, insert_incident)
    await db.execute(
        "DELETE FROM incident_events WHERE incident_id = $1 AND sequence > 3", incident
    )
    integrity = await _integrity(client, tenant_id, incident)
    assert integrity["verification_status"] == "TAMPERED"
    assert integrity["first_broken_sequence"] is None  # what is left still chains
    assert integrity["problems"] == ["the timeline has 3 entries but the incident records 5"]


async def test_deleting_an_entry_in_the_middle_reads_tampered(
    client, db, tenant_id, insert_incident
) -> None:
    incident = await _arranged(db, tenant_id, insert_incident)
    await db.execute(
        "DELETE FROM incident_events WHERE incident_id = $1 AND sequence = 3", incident
    )
    integrity = await _integrity(client, tenant_id, incident)
    assert integrity["verification_status"] == "TAMPERED"
    assert integrity["first_broken_sequence"] == 3


async def test_reordering_entries_reads_tampered(client, db, tenant_id, insert_incident) -> None:
    incident = await _arranged(db, tenant_id, insert_incident)
    # Swap the times and payloads of entries 2 and 3 (the order a reader would see).
    await db.execute(
        "UPDATE incident_events e SET occurred_at = o.occurred_at, data = o.data"
        " FROM incident_events o WHERE e.incident_id = $1 AND o.incident_id = $1"
        " AND ((e.sequence = 2 AND o.sequence = 3) OR (e.sequence = 3 AND o.sequence = 2))",
        incident,
    )
    integrity = await _integrity(client, tenant_id, incident)
    assert integrity["verification_status"] == "TAMPERED"
    assert integrity["first_broken_sequence"] == 2


async def test_an_edited_payload_reads_tampered(client, db, tenant_id, insert_incident) -> None:
    incident = await _arranged(db, tenant_id, insert_incident)
    await db.execute(
        "UPDATE incident_events SET data = jsonb_set(data, '{calls_affected}', '0')"
        " WHERE incident_id = $1 AND sequence = 5",
        incident,
    )
    integrity = await _integrity(client, tenant_id, incident)
    assert integrity["verification_status"] == "TAMPERED"
    assert integrity["problems"] == ["entry 5 was changed after it was written"]
