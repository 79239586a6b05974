"""The hand-built IncidentChanged JSON parses back to exactly the contract model."""

from __future__ import annotations

from dataclasses import asdict

from guard_contracts.incidents import IncidentDetail
from guard_contracts.money import micros_to_usd
from guard_contracts.outputs import IncidentChanged
from guard_ingest.adapters.mapping import change_message
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig

from .ingest_factories import ack, released, triggered


def test_change_message_matches_the_contract_model() -> None:
    book = IncidentBook(EngineConfig())
    first = triggered(0, cost_delta_usd="1.000001", run_id="r", calls_affected=60)
    iid = book.triggered(first).incident_id
    assert iid is not None
    book.acknowledge(ack(iid, 5))
    book.released(released(first.killswitch_id, 9))
    assert len(book.entries) == 4
    for entry in book.entries:
        topic, key, payload = change_message(entry, "changes")
        fields = {
            k: v for k, v in asdict(entry.incident).items() if k in IncidentDetail.model_fields
        }
        expected = IncidentChanged(
            event_id=IncidentChanged.id_for(entry.incident_id, entry.sequence),
            tenant_id=entry.tenant_id,
            occurred_at=entry.occurred_at,
            change_type=entry.entry_type,
            sequence=entry.sequence,
            incident=IncidentDetail(
                **fields, cost_impact_usd=micros_to_usd(entry.incident.cost_impact_micros)
            ),
            data=entry.data,
        )
        assert topic == "changes"
        assert key == b"t1"
        assert IncidentChanged.model_validate_json(payload) == expected
