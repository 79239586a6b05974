"""IncidentBook.triggered with the overflow fingerprint remembered per hour (wip/ingest5) gives the
very incidents, timeline entries (hashes included) and assignments of the code before it.

The previous ``triggered`` is kept below as the oracle; both run over the same seeded floods
(a low cap, several tenants, fingerprints and hours, releases in between).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from guard_contracts.events import KillswitchTriggered
from guard_ingest.engines import rules
from guard_ingest.engines.book import IncidentBook
from guard_ingest.engines.model import EngineConfig, Outcome

from .ingest_factories import released, triggered


class _PreviousBook(IncidentBook):
    def triggered(self, event: KillswitchTriggered) -> Outcome:
        at = event.occurred_at
        fingerprint = rules.killswitch_fingerprint(event)
        incident = self._open_match(event.tenant_id, fingerprint, at, self.config.group_window)
        if incident is not None:
            self._attach(incident, event)
        elif (
            self._opened[(event.tenant_id, rules.hour_start(at))] >= self.config.flood_cap_per_hour
        ):
            overflow = rules.overflow_fingerprint(at)
            incident = self._open_match(event.tenant_id, overflow, at, None)
            if incident is None:
                incident = self._open_overflow(event, overflow)
            else:
                self._attach(incident, event)
        else:
            incident = self._open_killswitch(event, fingerprint)
            self._opened[(event.tenant_id, rules.hour_start(at))] += 1
        self._killswitches[(event.tenant_id, event.killswitch_id)] = incident.incident_id
        self.assignments[event.event_id] = incident.incident_id
        return Outcome.applied(incident.incident_id)


def _flood(seed: int) -> list[Any]:
    rng = random.Random(seed)
    events: list[Any] = []
    open_switches: list[tuple[str, str]] = []
    seconds = 0.0
    for _ in range(400):
        seconds += rng.choice((1, 5, 30, 400, 1200))  # crosses hours and idle timeouts
        tenant = rng.choice(("t1", "t2", "t3"))
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        if open_switches and rng.random() < 0.15:
            tenant, switch = open_switches.pop(rng.randrange(len(open_switches)))
            events.append(released(switch, seconds, tenant, event_id=event_id))
            continue
        switch = f"ks-{len(events)}"
        open_switches.append((tenant, switch))
        events.append(triggered(seconds, tenant, event_id=event_id, killswitch_id=switch,
                                trigger_type=rng.choice(("rate_limit", "budget_breach", "manual")),
                                policy_id=rng.choice(("p1", "p2")), agent_id=rng.choice(("a1", "a2")),
                                calls_affected=rng.randint(1, 30),
                                severity=rng.choice((None, "low", "high")),
                                action=rng.choice(("throttled", "stopped"))))  # fmt: skip
    return events


def _run(book: IncidentBook, events: list[Any]) -> list[Outcome]:
    outcomes = []
    for event in events:
        if isinstance(event, KillswitchTriggered):
            outcomes.append(book.triggered(event))
        else:
            outcomes.append(book.released(event))
    return outcomes


def test_same_incidents_entries_and_assignments_as_before() -> None:
    overflowed = 0
    for seed in range(6):
        events = _flood(seed)
        for cap in (1, 3, 20):
            config = EngineConfig(flood_cap_per_hour=cap)
            new, old = IncidentBook(config), _PreviousBook(config)
            assert _run(new, events) == _run(old, events)
            assert new.entries == old.entries
            assert [e.incident for e in new.entries] == [e.incident for e in old.entries]
            assert new.changed == old.changed
            assert new.all() == old.all()
            assert new.assignments == old.assignments
            assert new.killswitch_index == old.killswitch_index
            overflowed += sum(i.is_overflow for i in new.all())
    assert overflowed > 50  # the flood path was taken, many times
