"""Incident and change ids are `uuid.uuid5` of their namespace and name (they are stored and published)."""

from __future__ import annotations

import random
import uuid

from guard_contracts.outputs import INCIDENT_CHANGE_NAMESPACE, IncidentChanged
from guard_ingest.engines.model import INCIDENT_NAMESPACE, incident_id_for


def test_ids_are_uuid5() -> None:
    rng = random.Random(12)
    tenants = ["t1", "tenant-ä", "日本", "", "a:b", "x" * 300]
    for _ in range(300):
        tenant = rng.choice(tenants)
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        sequence = rng.randrange(1, 10**6)
        assert incident_id_for(tenant, event_id) == uuid.uuid5(
            INCIDENT_NAMESPACE, f"{tenant}:{event_id}"
        )
        assert IncidentChanged.id_for(event_id, sequence) == uuid.uuid5(
            INCIDENT_CHANGE_NAMESPACE, f"{event_id}:{sequence}"
        )
    assert type(incident_id_for("t", uuid.uuid4())) is uuid.UUID
