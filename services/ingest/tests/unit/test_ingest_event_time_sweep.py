"""The idle sweep by event time gives the incidents of pure lazy processing (docs/adr/0001-...).

Lazy: an event later than an incident's deadline sees it resolved at the deadline. The sweep
persists that same resolution earlier, once the tenant's horizon (stream time minus the allowed
lateness) has passed the deadline. For any stream whose events are within the allowed lateness,
sweeping at any points in between must change nothing: same incidents, fields and timelines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.enums import LifecycleState, TimelineEntryType
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig

from .ingest_factories import at, triggered
from .test_ingest_engine_properties import apply, build_events, op, reseed, state

LATENESS = timedelta(seconds=1800)
CONFIG = EngineConfig(flood_cap_per_hour=4, anomaly_idle_timeout=timedelta(seconds=2400))


def within_lateness(events: list[Any]) -> list[Any]:
    """Drop the events later than the allowed lateness behind their tenant's stream time."""
    stream: dict[str, Any] = {}
    kept = []
    for event in events:
        current = stream.get(event.tenant_id)
        if current is not None and event.occurred_at < current - LATENESS:
            continue
        stream[event.tenant_id] = max(current or event.occurred_at, event.occurred_at)
        kept.append(event)
    return kept


def with_config(book: IncidentBook) -> IncidentBook:
    book.config = CONFIG
    return book


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(op, max_size=50), st.lists(st.integers(0, 50), max_size=6))
def test_sweeping_at_any_point_equals_lazy_processing(ops: list[Any], sweeps: list[int]) -> None:
    events = within_lateness(build_events(ops))
    end = {e.tenant_id: e.occurred_at for e in events}
    for e in events:
        end[e.tenant_id] = max(end[e.tenant_id], e.occurred_at)

    lazy = IncidentBook(CONFIG)
    for event in events:
        apply(lazy, event)

    swept = IncidentBook(CONFIG)
    stream: dict[str, Any] = {}
    for n, event in enumerate(events):
        if n in sweeps:  # a sweep between two batches, on what the database holds then
            swept = with_config(reseed(swept))
            swept.auto_resolve_before({t: s - LATENESS for t, s in stream.items()})
            swept = with_config(reseed(swept))
        apply(swept, event)
        stream[event.tenant_id] = max(stream.get(event.tenant_id, event.occurred_at),
                                      event.occurred_at)  # fmt: skip

    # Finally both are swept far in the future: everything idle is resolved either way.
    final = {t: s + timedelta(days=2) for t, s in end.items()}
    lazy.auto_resolve_before(final)
    swept = with_config(reseed(swept))
    swept.auto_resolve_before(final)
    assert state(swept) == state(lazy)


def test_a_backlog_does_not_split_an_incident_the_wall_clock_sweep_would() -> None:
    """Events of one incident 200 s apart, the second still in the backlog when a sweep runs."""
    first, second = triggered(0), triggered(200)
    by_wall_clock = IncidentBook(CONFIG)
    by_wall_clock.triggered(first)
    by_wall_clock.auto_resolve_due(at(3600))  # the old sweep: now is an hour later
    by_wall_clock.triggered(second)
    assert len(by_wall_clock.all()) == 2  # split

    by_event_time = IncidentBook(CONFIG)
    by_event_time.triggered(first)
    assert by_event_time.auto_resolve_before({"t1": at(0) - LATENESS}) == []
    by_event_time.triggered(second)
    (incident,) = by_event_time.all()
    assert incident.event_count == 2


def test_the_sweep_resolves_exactly_as_a_later_event_would() -> None:
    """Same resolved_at (the deadline), same entry, same chain head."""
    lazy, swept = IncidentBook(CONFIG), IncidentBook(CONFIG)
    first, later = triggered(0, agent_id="a"), triggered(901, agent_id="a")
    for book in (lazy, swept):
        book.triggered(first)
    lazy.triggered(later)  # sees the first one resolved
    (resolved,) = swept.auto_resolve_before({"t1": at(901)})
    swept.triggered(later)
    assert state(lazy) == state(swept)
    old = swept.get(resolved)
    assert old is not None
    assert old.lifecycle_state is LifecycleState.RESOLVED
    assert old.resolved_at == at(900)
    assert [e.entry_type for e in swept.entries if e.incident_id == resolved][-1] is (
        TimelineEntryType.AUTO_RESOLVED
    )


def test_the_horizon_must_pass_the_deadline_strictly() -> None:
    book = IncidentBook(CONFIG)
    book.triggered(triggered(0))
    assert book.auto_resolve_before({"t1": at(900)}) == []  # an event at 900 would still join
    assert book.auto_resolve_before({"t2": at(5000)}) == []  # another tenant's time is not ours
    assert len(book.auto_resolve_before({"t1": at(900.001)})) == 1
