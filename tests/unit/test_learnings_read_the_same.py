"""One incident's learnings read the same in the API's /learnings JSON and in the debrief PDF.

Both services build them with ``guard_rules.learnings``; this test renders both outputs from
the same incident and compares the wording (90 minutes on average must read "1.5 hours" in both).
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from guard_api.adapters.learnings import learnings_answer
from guard_api.drivers.rows import IncidentRow
from guard_contracts.enums import ExportFormat, ExportKind
from guard_exporter.engines.records import (
    ExportSpec,
    IncidentData,
    IncidentRecord,
    SimilarIncident,
)
from guard_exporter.engines.render import render
from guard_rules.learnings import learnings_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TENANT = "tenant-same"


def _fields(n: int, **changes: Any) -> dict[str, Any]:
    created = T0 + timedelta(days=n)
    values: dict[str, Any] = {
        "incident_id": uuid.UUID(int=n + 1),
        "tenant_id": TENANT,
        "lifecycle_state": "RESOLVED",
        "severity": "high",
        "category": "RATE_LIMIT",
        "cause_type": "LLM_RUN",
        "title": f"Rate limit hit {n}",
        "trigger_type": "rate_limit",
        "policy_id": "pol-1",
        "affected_agent_id": "agent-1",
        "llm_run_id": f"run-{n}",
        "calls_affected": 12,
        "event_count": 3,
        "cost_impact_micros": 1_250_000,
        "created_at": created,
        "last_event_at": created + timedelta(minutes=5),
        "resolved_at": created + timedelta(minutes=30),
        "is_synthetic": False,
        "description": "",
        "source_type": "killswitch",
        "fingerprint": "rate_limit|pol-1|agent-1",
        "error_code": None,
        "error_message": None,
        "first_event_at": created,
        "acked_at": created + timedelta(minutes=1),
        "acked_by": "ops",
        "resolved_by": "ops",
        "resolution_method": "rollback",
        "recurrence_of": None,
        "updated_at": created + timedelta(minutes=30),
    }
    return values | changes


# The incident (resolved by a release) and three resolved predecessors: two with its fingerprint
# (60 and 120 minutes: 90 minutes on average), one of its category only.
INCIDENT = _fields(10, resolution_method="released", resolved_at=T0 + timedelta(days=10, hours=2))
SIMILAR = [
    _fields(1, resolved_at=T0 + timedelta(days=1, minutes=60)),
    _fields(2, resolution_method="released", resolved_at=T0 + timedelta(days=2, minutes=120)),
    _fields(3, fingerprint="other", resolved_at=T0 + timedelta(days=3, minutes=90)),
]


def _api_json() -> dict[str, Any]:
    rows = [IncidentRow(**s) for s in SIMILAR]
    return learnings_answer(IncidentRow(**INCIDENT), rows).model_dump(mode="json")


def _exporter_data() -> IncidentData:
    extra = {"contained_at": None, "timeline_length": 0, "timeline_head": None}
    record = IncidentRecord(**(INCIDENT | extra))
    names = [f.name for f in fields(SimilarIncident)]
    similar = tuple(SimilarIncident(**{k: s[k] for k in names}) for s in SIMILAR)
    return IncidentData(incident=record, timeline=(), events=(), run_steps=(), similar=similar)


def _debrief_text(data: IncidentData) -> str:
    spec = ExportSpec(
        export_id=uuid.UUID(int=99),
        tenant_id=TENANT,
        incident_id=data.incident.incident_id,
        kind=ExportKind.EXECUTIVE_DEBRIEF,
        format=ExportFormat.PDF,
        requested_by="auditor",
        requested_at=T0 + timedelta(days=11),
    )
    pdf = render(spec, data, Ed25519PrivateKey.generate()).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def test_the_api_and_the_debrief_learn_the_same_from_the_same_incident() -> None:
    api = _api_json()
    data = _exporter_data()
    debrief = learnings_for(data.incident, data.similar)
    # The same similar incidents, in the same order, with the same insights word for word.
    assert [s["incident_id"] for s in api["similar_incidents"]] == [
        str(s.incident_id) for s in debrief.similar
    ]
    assert [(i["insight_type"], i["message"]) for i in api["insights"]] == [
        (i.kind.value, i.message) for i in debrief.insights
    ]
    assert api["resolution_summary"]["time_to_resolution_ms"] == debrief.time_to_resolution_ms
    assert api["resolution_summary"]["recovery_attempted"] is debrief.recovery_attempted is True
    detection = next(i for i in api["insights"] if i["insight_type"] == "detection")
    assert detection["message"] == "Similar incidents took 1.5 hours on average to resolve."


def test_every_insight_of_the_api_is_printed_in_the_debrief_pdf() -> None:
    text = _debrief_text(_exporter_data())
    messages = [i["message"] for i in _api_json()["insights"]]
    assert len(messages) == 3  # response, prevention, detection
    for message in messages:
        assert message in text, message
    assert "1.5 hours" in text
    assert "90.0 minutes" not in text
