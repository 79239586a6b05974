"""Pure rules of the exporter's engines: risk, durations, learnings, controls, spend window."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from exporter_samples import as_incident_data, sample_rows
from hypothesis import given
from hypothesis import strategies as st

from guard_exporter.config import Settings
from guard_exporter.engines.controls import (
    DEMONSTRATED,
    NOT_DEMONSTRATED,
    PARTIAL,
    evaluate_controls,
)
from guard_exporter.engines.debrief import response_times, risk_level
from guard_exporter.engines.learnings import human_duration, learnings_for, rank_similar
from guard_exporter.engines.phrasing import short_duration
from guard_exporter.engines.records import SimilarIncident

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "risk"),
    [("critical", "CRITICAL"), ("high", "HIGH"), ("medium", "MEDIUM"), ("low", "LOW")],
)
def test_risk_level(severity: str, risk: str) -> None:
    assert risk_level(severity) == risk


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (750, "12 min 30 s"), (7500, "2 h 5 min"), (273600, "3 d 4 h")],
)
def test_short_duration(seconds: int, text: str) -> None:
    assert short_duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(90, "1.5 minutes"), (3 * 3600, "3.0 hours"), (4 * 86400, "4.0 days")],
)
def test_human_duration_switches_units(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def _similar(i: int, fingerprint: str, category: str, method: str = "released") -> SimilarIncident:
    created = T0 - timedelta(days=i + 1)
    return SimilarIncident(
        uuid.UUID(int=i + 1), fingerprint, category, method, created, created + timedelta(hours=1)
    )


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=20))
def test_similar_same_fingerprint_first_at_most_five(flags: list[tuple[bool, bool]]) -> None:
    incident = as_incident_data(sample_rows("tenant-p", n_timeline=4, n_steps=1)).incident
    candidates = tuple(
        _similar(i, incident.fingerprint if same else "other", incident.category if cat else "X")
        for i, (same, cat) in enumerate(flags)
    )
    ranked = rank_similar(incident, candidates)
    assert len(ranked) <= 5
    matches = [c.fingerprint == incident.fingerprint for c in ranked]
    assert matches == sorted(matches, reverse=True)
    assert all(
        c.fingerprint == incident.fingerprint or c.category == incident.category for c in ranked
    )


def test_insights_follow_the_spec_confidences() -> None:
    incident = as_incident_data(sample_rows("tenant-i", n_timeline=4, n_steps=1)).incident
    similar = tuple(
        _similar(i, incident.fingerprint, incident.category, "rollback") for i in range(4)
    )
    learned = learnings_for(incident, similar)
    by_kind = {i.kind: i.confidence for i in learned.insights}
    assert by_kind == {"response": 0.9, "prevention": 0.85, "detection": 0.8}
    assert learned.recovery_attempted  # the sample was released
    assert learned.evidence_count == incident.event_count


def test_no_similar_incidents_no_insights() -> None:
    incident = as_incident_data(sample_rows("tenant-n", n_timeline=4, n_steps=1)).incident
    assert learnings_for(incident, ()).insights == ()


def test_controls_need_a_containing_action_and_a_recovery() -> None:
    data = as_incident_data(sample_rows("tenant-c", n_timeline=6, n_steps=2))
    open_incident = dataclasses.replace(
        data,
        incident=dataclasses.replace(
            data.incident, resolved_at=None, resolution_method=None, lifecycle_state="ACKED"
        ),
    )
    statuses = {
        r.control_id: r.status for r in evaluate_controls(open_incident, chain_verified=True)
    }
    assert statuses == {
        "CC7.2": DEMONSTRATED,
        "CC7.3": DEMONSTRATED,  # acknowledged by a person
        "CC7.4": PARTIAL,  # contained but not resolved
        "CC7.5": NOT_DEMONSTRATED,  # still open
    }


def test_manual_incident_is_not_automated_detection() -> None:
    data = as_incident_data(sample_rows("tenant-m", n_timeline=6, n_steps=2))
    manual = dataclasses.replace(
        data, incident=dataclasses.replace(data.incident, source_type="manual")
    )
    result = evaluate_controls(manual, chain_verified=True)[0]
    assert (result.control_id, result.status) == ("CC7.2", NOT_DEMONSTRATED)


def test_response_times() -> None:
    data = as_incident_data(sample_rows("tenant-t", n_timeline=6, n_steps=3))
    times = response_times(data)
    # Opened on its first guard signal; run steps before it are not signals of its fingerprint.
    assert times.detect == timedelta(0)
    assert times.contain == timedelta(0)
    assert times.resolve == data.incident.resolved_at - data.incident.created_at


def test_settings_refuse_the_development_key_outside_development() -> None:
    with pytest.raises(ValueError, match="SIGNING_KEY"):
        Settings(environment="production")
    assert (
        Settings(environment="production", signing_key="A" * 43 + "=").environment == "production"
    )
