"""Pure rules of the exporter's engines: risk, durations, learnings, controls, spend window."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from exporter_samples import as_incident_data, sample_rows

from guard_contracts.incidents import IncidentDetail
from guard_exporter.config import Settings
from guard_exporter.engines.controls import (
    DEMONSTRATED,
    NOT_DEMONSTRATED,
    PARTIAL,
    evaluate_controls,
)
from guard_exporter.engines.debrief import response_times, risk_level
from guard_exporter.engines.phrasing import short_duration
from guard_exporter.engines.serialize import incident_view, usd_text

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


def test_the_incident_view_carries_every_incident_field_by_its_wire_name() -> None:
    incident = as_incident_data(sample_rows("tenant-v", n_timeline=4, n_steps=1)).incident
    view = incident_view(incident)
    assert set(view) == set(IncidentDetail.model_fields) | {
        "contained_at",
        "timeline_head",
        "timeline_length",
    }
    assert view["timeline_length"] == incident.timeline_length
    assert view["cost_impact_usd"] == usd_text(incident.cost_impact_micros)
    assert view["incident_id"] == str(incident.incident_id)
    assert view["created_at"] == incident.created_at.isoformat()
