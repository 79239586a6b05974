"""The per-incident tamper-evident chain (docs/product/incidents.md), built with guard_contracts.chain.

What is hashed is ``guard_rules.timeline.hash_input``, the same function the readers verify with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from guard_contracts.canonical import canonical_json
from guard_contracts.chain import link_hash
from guard_contracts.enums import TimelineEntryType
from guard_ingest.engines.model import Incident, TimelineEntry
from guard_rules.timeline import hash_input


def append(
    incident: Incident,
    entry_type: TimelineEntryType,
    occurred_at: datetime,
    source_event_id: uuid.UUID | None,
    data: dict[str, Any],
) -> TimelineEntry:
    """Extend the incident's chain by one entry and advance its head."""
    sequence = incident.timeline_length + 1
    prev = incident.timeline_head
    entry = hash_input(sequence, entry_type, occurred_at, source_event_id, data)
    digest = link_hash(prev, entry, canonical_json)
    incident.timeline_length = sequence
    incident.timeline_head = digest
    incident.updated_at = max(incident.updated_at, occurred_at)
    return TimelineEntry(
        incident_id=incident.incident_id,
        tenant_id=incident.tenant_id,
        sequence=sequence,
        entry_type=entry_type,
        occurred_at=occurred_at,
        source_event_id=source_event_id,
        data=data,
        prev_hash=prev,
        hash=digest,
        incident=incident.snapshot(),
    )
