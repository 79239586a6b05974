"""Every rule of docs/product/incidents.md for incidents, by example."""

from __future__ import annotations

import uuid

import pytest

from guard_contracts.enums import (
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    TimelineEntryType,
)
from guard_contracts.wire import DlqReason
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import AUTO_RESOLVER, EngineConfig, OutcomeKind, incident_id_for
from guard_rules.timeline import verify_timeline

from .ingest_factories import ack, anomaly, at, released, resolve, triggered

CONFIG = EngineConfig()


def book() -> IncidentBook:
    return IncidentBook(CONFIG)


def test_first_event_opens_incident_with_deterministic_id() -> None:
    b = book()
    event = triggered(0, trigger_type="budget_breach", run_id="r1", cost_delta_usd="1.25")
    outcome = b.triggered(event)
    incident = b.get(incident_id_for("t1", event.event_id))
    assert incident is not None
    assert outcome.incident_id == incident.incident_id
    assert incident.lifecycle_state is LifecycleState.ACTIVE
    assert incident.severity is Severity.CRITICAL
    assert incident.category.value == "BUDGET_EXCEEDED"
    assert incident.cause_type is CauseType.LLM_RUN
    assert incident.cost_impact_micros == 1_250_000
    assert incident.created_at == event.occurred_at
    assert [e.entry_type for e in b.entries] == [TimelineEntryType.CREATED]


@pytest.mark.parametrize(
    ("trigger", "severity", "category"),
    [
        ("budget_breach", "critical", "BUDGET_EXCEEDED"),
        ("freeze", "critical", "FREEZE"),
        ("failure_spike", "high", "EXECUTION_FAILURE"),
        ("content_policy", "high", "CONTENT_POLICY"),
        ("rate_limit", "medium", "RATE_LIMIT"),
        ("policy_violation", "medium", "POLICY_VIOLATION"),
        ("manual", "low", "MANUAL"),
    ],
)
def test_initial_severity_and_category(trigger: str, severity: str, category: str) -> None:
    b = book()
    outcome = b.triggered(triggered(0, trigger_type=trigger))
    incident = b.get(outcome.incident_id)  # type: ignore[arg-type]
    assert incident is not None
    assert incident.severity.value == severity
    assert incident.category.value == category


def test_explicit_severity_overrides_initial() -> None:
    b = book()
    incident = b.get(
        b.triggered(triggered(0, trigger_type="budget_breach", severity="low")).incident_id
    )  # type: ignore[arg-type]
    assert incident is not None
    assert incident.severity is Severity.LOW


@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        ({"trigger_type": "manual"}, CauseType.HUMAN),
        ({"actor_id": "ops", "run_id": "r"}, CauseType.HUMAN),
        ({"run_id": "r"}, CauseType.LLM_RUN),
        ({}, CauseType.SYSTEM),
    ],
)
def test_cause_type(fields: dict[str, str], cause: CauseType) -> None:
    b = book()
    incident = b.get(b.triggered(triggered(0, **fields)).incident_id)  # type: ignore[arg-type]
    assert incident is not None
    assert incident.cause_type is cause


def test_sliding_window_groups_and_splits() -> None:
    b = book()
    first = b.triggered(triggered(0)).incident_id
    assert b.triggered(triggered(300)).incident_id == first  # exactly 300 s joins
    assert b.triggered(triggered(600)).incident_id == first  # sliding: 300 s after the last
    assert b.triggered(triggered(100)).incident_id == first  # an older event joins too
    later = b.triggered(triggered(901)).incident_id
    assert later != first
    incident = b.get(first)
    assert incident is not None
    assert incident.event_count == 4
    assert incident.first_event_at == at(0)
    assert incident.last_event_at == at(600)


def test_different_fingerprint_or_tenant_opens_separately() -> None:
    b = book()
    first = b.triggered(triggered(0)).incident_id
    assert b.triggered(triggered(1, agent_id="a2")).incident_id != first
    assert b.triggered(triggered(1, policy_id="p2")).incident_id != first
    assert b.triggered(triggered(1, trigger_type="freeze")).incident_id != first
    assert b.triggered(triggered(1, tenant="t2")).incident_id != first


def test_escalation_by_cumulative_calls_is_upward_only() -> None:
    b = book()
    iid = b.triggered(triggered(0, trigger_type="manual", calls_affected=5)).incident_id
    assert iid is not None
    b.triggered(triggered(1, trigger_type="manual", calls_affected=5))
    assert b.get(iid).severity is Severity.MEDIUM  # type: ignore[union-attr]
    b.triggered(triggered(2, trigger_type="manual", calls_affected=40))
    assert b.get(iid).severity is Severity.HIGH  # type: ignore[union-attr]
    b.triggered(triggered(3, trigger_type="manual", severity="low"))
    assert b.get(iid).severity is Severity.HIGH  # type: ignore[union-attr]
    b.triggered(triggered(4, trigger_type="manual", calls_affected=150))
    assert b.get(iid).severity is Severity.CRITICAL  # type: ignore[union-attr]
    kinds = [
        e.entry_type for e in b.entries if e.entry_type is TimelineEntryType.SEVERITY_ESCALATED
    ]
    assert len(kinds) == 3


def test_explicit_severity_on_attached_event_raises() -> None:
    b = book()
    iid = b.triggered(triggered(0)).incident_id
    b.triggered(triggered(1, severity="critical"))
    assert b.get(iid).severity is Severity.CRITICAL  # type: ignore[arg-type, union-attr]


def test_opening_event_with_many_calls_escalates_at_once() -> None:
    b = book()
    iid = b.triggered(triggered(0, trigger_type="manual", calls_affected=250)).incident_id
    assert b.get(iid).severity is Severity.CRITICAL  # type: ignore[arg-type, union-attr]
    assert [e.entry_type for e in b.entries] == [
        TimelineEntryType.CREATED,
        TimelineEntryType.SEVERITY_ESCALATED,
    ]


def test_flood_cap_routes_to_one_overflow_incident_per_tenant_hour() -> None:
    b = book()
    ids = {b.triggered(triggered(i, agent_id=f"a{i}")).incident_id for i in range(20)}
    assert len(ids) == 20
    overflow_ids = {b.triggered(triggered(30 + i, agent_id=f"x{i}", calls_affected=50)).incident_id
                    for i in range(5)}  # fmt: skip
    assert len(overflow_ids) == 1
    overflow = b.get(overflow_ids.pop())  # type: ignore[arg-type]
    assert overflow is not None
    assert overflow.is_overflow
    assert overflow.event_count == 5
    assert overflow.severity is Severity.CRITICAL  # escalates like any other: 250 calls
    # the next clock hour starts a fresh count
    assert not b.get(b.triggered(triggered(3600, agent_id="new")).incident_id).is_overflow  # type: ignore[arg-type, union-attr]


def test_flood_cap_counts_seeded_incidents() -> None:
    hour = at(0).replace(minute=0)
    b = IncidentBook(CONFIG, opened_per_hour={("t1", hour): 20})
    incident = b.get(b.triggered(triggered(0)).incident_id)  # type: ignore[arg-type]
    assert incident is not None
    assert incident.is_overflow
    assert incident.severity is Severity.HIGH


def test_acknowledge_then_resolve_and_repeats() -> None:
    b = book()
    iid = b.triggered(triggered(0)).incident_id
    assert iid is not None
    assert b.acknowledge(ack(iid, 10)).kind is OutcomeKind.APPLIED
    assert b.acknowledge(ack(iid, 11)).kind is OutcomeKind.NOOP
    incident = b.get(iid)
    assert incident is not None
    assert incident.acked_at == at(10)
    assert incident.acked_by == "alice"
    assert b.resolve(resolve(iid, 20, resolution_method="rollback")).kind is OutcomeKind.APPLIED
    assert incident.resolution_method is ResolutionMethod.ROLLBACK
    assert incident.resolved_at == at(20)
    assert incident.resolved_by == "bob"
    assert b.resolve(resolve(iid, 21)).kind is OutcomeKind.NOOP
    rejected = b.acknowledge(ack(iid, 22))
    assert rejected.kind is OutcomeKind.REJECTED
    assert rejected.code is DlqReason.ILLEGAL_TRANSITION


def test_resolve_defaults_to_manual_and_skips_ack() -> None:
    b = book()
    iid = b.triggered(triggered(0)).incident_id
    assert iid is not None
    b.resolve(resolve(iid, 5))
    assert b.get(iid).resolution_method is ResolutionMethod.MANUAL  # type: ignore[union-attr]
    assert b.get(iid).acked_at is None  # type: ignore[union-attr]


def test_unknown_or_foreign_incident_is_rejected() -> None:
    b = book()
    iid = b.triggered(triggered(0)).incident_id
    assert iid is not None
    assert b.acknowledge(ack(uuid.uuid4(), 1)).code is DlqReason.UNKNOWN_INCIDENT
    assert b.resolve(resolve(iid, 1, tenant="other")).code is DlqReason.UNKNOWN_INCIDENT
    assert b.get(iid).is_open  # type: ignore[union-attr]


def test_resolved_is_final_and_recurrence_points_back() -> None:
    b = book()
    first = b.triggered(triggered(0)).incident_id
    assert first is not None
    b.resolve(resolve(first, 5))
    second = b.triggered(triggered(10)).incident_id
    assert second != first
    assert b.get(second).recurrence_of == first  # type: ignore[arg-type, union-attr]
    assert b.get(first).event_count == 1  # type: ignore[union-attr]


def test_killswitch_released_resolves_its_incident() -> None:
    b = book()
    event = triggered(0)
    iid = b.triggered(event).incident_id
    outcome = b.released(released(event.killswitch_id, 50, actor_id="carol"))
    incident = b.get(iid)  # type: ignore[arg-type]
    assert outcome.kind is OutcomeKind.APPLIED
    assert incident is not None
    assert incident.resolution_method is ResolutionMethod.RELEASED
    assert incident.resolved_at == at(50)
    assert incident.resolved_by == "carol"
    assert b.released(released(event.killswitch_id, 60)).kind is OutcomeKind.NOOP
    assert b.released(released("nope", 60)).code is DlqReason.UNKNOWN_KILLSWITCH


def test_release_without_actor_is_by_killswitch() -> None:
    b = book()
    event = triggered(0)
    iid = b.triggered(event).incident_id
    b.released(released(event.killswitch_id, 1))
    assert b.get(iid).resolved_by == "killswitch"  # type: ignore[arg-type, union-attr]


def test_idle_auto_resolve_is_deterministic_and_lazy() -> None:
    b = book()
    iid = b.triggered(triggered(0)).incident_id
    assert iid is not None
    b.acknowledge(ack(iid, 10))
    # A command after last_event_at + 900 s sees the incident already auto-resolved.
    assert b.acknowledge(ack(iid, 901)).code is DlqReason.ILLEGAL_TRANSITION
    incident = b.get(iid)
    assert incident is not None
    assert incident.resolved_at == at(900)
    assert incident.resolved_by == AUTO_RESOLVER
    assert incident.resolution_method is ResolutionMethod.AUTO
    assert b.entries[-1].entry_type is TimelineEntryType.AUTO_RESOLVED


def test_sweep_resolves_only_idle_incidents() -> None:
    b = book()
    old = b.triggered(triggered(0)).incident_id
    fresh = b.triggered(triggered(800, agent_id="a2")).incident_id
    assert b.auto_resolve_due(at(950)) == [old]
    assert b.get(old).resolved_at == at(900)  # type: ignore[arg-type, union-attr]
    assert b.get(fresh).is_open  # type: ignore[arg-type, union-attr]


def test_cost_anomaly_incidents() -> None:
    b = book()
    assert b.anomaly(anomaly(0, severity="medium")).incident_id is None
    iid = b.anomaly(anomaly(0)).incident_id
    incident = b.get(iid)  # type: ignore[arg-type]
    assert incident is not None
    assert incident.category.value == "COST_ANOMALY"
    assert incident.cause_type is CauseType.SYSTEM
    assert incident.cost_impact_micros == 50_500_000
    # a re-detection hours later (well within 24 h idle) attaches
    assert b.anomaly(anomaly(7200, severity="critical")).incident_id == iid
    assert incident.severity is Severity.CRITICAL
    assert incident.event_count == 2
    # more than 24 h idle: resolved automatically, the next detection opens a recurrence
    again = b.anomaly(anomaly(7200 + 86401)).incident_id
    assert again != iid
    assert b.get(again).recurrence_of == iid


def test_expected_above_current_gives_zero_impact() -> None:
    b = book()
    incident = b.get(b.anomaly(anomaly(0, current_usd="5", expected_usd="9")).incident_id)  # type: ignore[arg-type]
    assert incident is not None
    assert incident.cost_impact_micros == 0


def test_timeline_is_a_verifiable_chain_per_incident() -> None:
    b = book()
    event = triggered(0)
    iid = b.triggered(event).incident_id
    b.triggered(triggered(5, calls_affected=60))
    b.released(released(event.killswitch_id, 10))
    # The readers' verification (guard_rules) accepts what the writer chained.
    verdict = verify_timeline(e for e in b.entries if e.incident_id == iid)
    assert verdict.verified
    assert verdict.event_count == 4
    assert verdict.root_hash == b.get(iid).timeline_head  # type: ignore[arg-type, union-attr]
    assert [e.sequence for e in b.entries] == [1, 2, 3, 4]


def test_contained_at_is_first_stopping_action() -> None:
    b = book()
    iid = b.triggered(triggered(10, action="alerted")).incident_id
    assert b.get(iid).contained_at is None  # type: ignore[arg-type, union-attr]
    b.triggered(triggered(20, action="stopped"))
    b.triggered(triggered(15, action="frozen"))
    assert b.get(iid).contained_at == at(15)  # type: ignore[arg-type, union-attr]
