"""Properties of the incident engine (hypothesis): replay, monotone severity, tenancy, one state."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.enums import LifecycleState, SourceType
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig, Incident, incident_id_for
from guard_ingest.engines.rules import hour_start

from .ingest_factories import ack, anomaly, released, resolve, triggered

CONFIG = EngineConfig(flood_cap_per_hour=4)
TENANTS = ("t1", "t2")

# An operation is (kind, tenant index, seconds, variant); ids are fixed per generated example so a
# replay sees exactly the same events.
op = st.tuples(
    st.sampled_from(["trig", "trig", "trig", "rel", "ack", "res", "anom"]),
    st.integers(0, 1),
    st.integers(0, 7200),
    st.integers(0, 3),
)


def build_events(ops: list[tuple[str, int, int, int]]) -> list[Any]:
    events: list[Any] = []
    killswitches: list[tuple[str, str]] = []
    seq_uuid = iter(uuid.UUID(int=n + 1) for n in range(10_000))
    for kind, t, seconds, variant in ops:
        tenant = TENANTS[t]
        eid = {"event_id": next(seq_uuid)}
        if kind == "trig":
            ks = f"ks{len(killswitches)}"
            killswitches.append((tenant, ks))
            events.append(triggered(seconds, tenant=tenant, killswitch_id=ks, agent_id=f"a{variant}",
                                    calls_affected=variant * 7, **eid))  # fmt: skip
        elif kind == "rel" and killswitches:
            _owner, ks = killswitches[variant % len(killswitches)]
            events.append(released(ks, seconds, tenant=tenant, **eid))
        elif kind == "anom":
            sev = ["low", "medium", "high", "critical"][variant]
            events.append(anomaly(seconds, severity=sev, tenant=tenant).model_copy(update=eid))
        elif kind in ("ack", "res"):
            # Refer to the incident a previous trigger may have opened (or to nothing).
            target = uuid.uuid5(uuid.NAMESPACE_OID, str(variant))
            if events:
                prev = events[(variant * 7) % len(events)]
                target = incident_id_for(prev.tenant_id, prev.event_id)
            make = ack if kind == "ack" else resolve
            events.append(make(target, seconds, tenant=tenant).model_copy(update=eid))
    return events


def apply(book: IncidentBook, event: Any) -> None:
    handler = {
        "killswitch.triggered": book.triggered,
        "killswitch.released": book.released,
        "incident.acknowledge": book.acknowledge,
        "incident.resolve": book.resolve,
        "cost.anomaly_detected": book.anomaly,
    }[event.event_type]
    handler(event)


def run(events: list[Any]) -> IncidentBook:
    book = IncidentBook(CONFIG)
    for event in events:
        apply(book, event)
    return book


def reseed(book: IncidentBook) -> IncidentBook:
    """A new batch: what the adapter loads from the database after the previous one committed."""
    incidents = [copy.copy(i) for i in book.all()]
    opened = Counter(
        (i.tenant_id, hour_start(i.created_at))
        for i in incidents
        if i.source_type is SourceType.KILLSWITCH and not i.is_overflow
    )
    return IncidentBook(CONFIG, incidents, book.killswitch_index, opened)


def state(book: IncidentBook) -> list[Incident]:
    return sorted(book.all(), key=lambda i: str(i.incident_id))


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=40), st.integers(0, 40))
def test_replay_gives_same_incidents_even_across_batches(ops: list[Any], cut: int) -> None:
    events = build_events(ops)
    once = run(events)
    assert state(run(events)) == state(once)
    first = run(events[:cut])
    second = reseed(first)
    for event in events[cut:]:
        apply(second, event)
    assert state(second) == state(once)
    assert [e.hash for e in first.entries + second.entries] == [e.hash for e in once.entries]


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=40))
def test_severity_never_decreases(ops: list[Any]) -> None:
    book = IncidentBook(CONFIG)
    seen: dict[uuid.UUID, int] = {}
    for event in build_events(ops):
        apply(book, event)
        for incident in book.all():
            assert incident.severity.rank >= seen.get(incident.incident_id, 0)
            seen[incident.incident_id] = incident.severity.rank
    for entry in book.entries:  # every snapshot along the way too
        assert entry.incident.severity.rank <= seen[entry.incident_id]


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=40))
def test_an_event_never_touches_another_tenants_incident(ops: list[Any]) -> None:
    events = build_events(ops)
    book = run(events)
    tenant_of_event = {e.event_id: e.tenant_id for e in events}
    for entry in book.entries:
        assert entry.tenant_id == entry.incident.tenant_id
        if entry.source_event_id is not None:
            assert tenant_of_event[entry.source_event_id] == entry.tenant_id
    for event_id, incident_id in book.assignments.items():
        assert book.get(incident_id).tenant_id == tenant_of_event[event_id]  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=40))
def test_every_incident_is_in_exactly_one_consistent_state(ops: list[Any]) -> None:
    book = run(build_events(ops))
    for incident in book.all():
        assert incident.lifecycle_state in set(LifecycleState)
        resolved = incident.lifecycle_state is LifecycleState.RESOLVED
        assert (incident.resolved_at is not None) == resolved
        assert (incident.resolution_method is not None) == resolved
        if incident.lifecycle_state is LifecycleState.ACKED:
            assert incident.acked_at is not None
        assert incident.first_event_at <= incident.last_event_at
        assert incident.timeline_length >= 1
