"""The incident engine (docs/product/incidents.md): pure, deterministic, one batch at a time.

An :class:`IncidentBook` is seeded with the incidents a batch can touch (the open ones and the
latest one per fingerprint), the killswitch → incident index and the flood-cap counters. The
adapter then applies the batch's events in partition order and writes back :attr:`changed` and
:attr:`entries`. Replaying the same events from the same seed gives the same result.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TimelineEntryType,
)
from guard_contracts.events import (
    CostAnomalyDetected,
    IncidentAcknowledge,
    IncidentResolve,
    KillswitchReleased,
    KillswitchTriggered,
)
from guard_contracts.money import usd_to_micros
from guard_contracts.wire import DlqReason
from guard_ingest.engines import rules, timeline
from guard_ingest.engines.model import (
    AUTO_RESOLVER,
    EngineConfig,
    Incident,
    Outcome,
    TimelineEntry,
    incident_id_for,
)

FingerprintKey = tuple[str, str]


class IncidentBook:
    def __init__(
        self,
        config: EngineConfig,
        incidents: Iterable[Incident] = (),
        killswitches: Mapping[tuple[str, str], uuid.UUID] | None = None,
        opened_per_hour: Mapping[tuple[str, datetime], int] | None = None,
    ) -> None:
        self.config = config
        self._incidents: dict[uuid.UUID, Incident] = {}
        self._by_fingerprint: dict[FingerprintKey, list[Incident]] = defaultdict(list)
        for incident in incidents:
            self._index(incident)
        self._killswitches = dict(killswitches or {})
        self._opened: Counter[tuple[str, datetime]] = Counter(opened_per_hour or {})
        self._dirty: dict[uuid.UUID, None] = {}
        #: Timeline entries produced so far, in the order they happened.
        self.entries: list[TimelineEntry] = []
        #: killswitch event_id -> the incident it opened, joined or resolved.
        self.assignments: dict[uuid.UUID, uuid.UUID] = {}

    # -- reading -----------------------------------------------------------------------------

    @property
    def changed(self) -> list[Incident]:
        return [self._incidents[i] for i in self._dirty]

    def get(self, incident_id: uuid.UUID) -> Incident | None:
        return self._incidents.get(incident_id)

    def all(self) -> list[Incident]:
        return list(self._incidents.values())

    @property
    def killswitch_index(self) -> dict[tuple[str, str], uuid.UUID]:
        """(tenant, killswitch_id) -> the incident holding its trigger."""
        return dict(self._killswitches)

    # -- killswitch events -------------------------------------------------------------------

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

    def released(self, event: KillswitchReleased) -> Outcome:
        incident_id = self._killswitches.get((event.tenant_id, event.killswitch_id))
        incident = self._incidents.get(incident_id) if incident_id else None
        if incident is None:
            return Outcome.rejected(
                DlqReason.UNKNOWN_KILLSWITCH,
                f"killswitch_id: no incident holds killswitch {event.killswitch_id!r}",
            )
        self.assignments[event.event_id] = incident.incident_id
        self._expire(incident, event.occurred_at)
        if not incident.is_open:
            return Outcome.noop(incident.incident_id)
        by = event.actor_id or "killswitch"
        self._resolve(incident, event.occurred_at, by, ResolutionMethod.RELEASED, event.event_id,
                      {"killswitch_id": event.killswitch_id, "reason": event.reason})  # fmt: skip
        return Outcome.applied(incident.incident_id)

    # -- commands ----------------------------------------------------------------------------

    def acknowledge(self, command: IncidentAcknowledge) -> Outcome:
        incident = self._commanded(command.tenant_id, command.incident_id)
        if incident is None:
            return _unknown_incident(command.incident_id)
        self._expire(incident, command.occurred_at)
        if incident.lifecycle_state is LifecycleState.RESOLVED:
            return Outcome.rejected(
                DlqReason.ILLEGAL_TRANSITION,
                f"incident {incident.incident_id} is RESOLVED; it cannot be acknowledged",
            )
        if incident.lifecycle_state is LifecycleState.ACKED:
            return Outcome.noop(incident.incident_id)
        incident.lifecycle_state = LifecycleState.ACKED
        incident.acked_at = command.occurred_at
        incident.acked_by = command.actor_id
        self._record(incident, TimelineEntryType.ACKNOWLEDGED, command.occurred_at,
                     command.event_id, {"actor_id": command.actor_id, "notes": command.notes})  # fmt: skip
        return Outcome.applied(incident.incident_id)

    def resolve(self, command: IncidentResolve) -> Outcome:
        incident = self._commanded(command.tenant_id, command.incident_id)
        if incident is None:
            return _unknown_incident(command.incident_id)
        self._expire(incident, command.occurred_at)
        if not incident.is_open:
            return Outcome.noop(incident.incident_id)
        method = ResolutionMethod(command.resolution_method or ResolutionMethod.MANUAL)
        self._resolve(incident, command.occurred_at, command.actor_id, method, command.event_id,
                      {"notes": command.notes})  # fmt: skip
        return Outcome.applied(incident.incident_id)

    # -- cost anomalies ----------------------------------------------------------------------

    def anomaly(self, event: CostAnomalyDetected) -> Outcome:
        """High and critical anomalies open or join a COST_ANOMALY incident; others only stored."""
        if event.severity not in rules.ANOMALY_INCIDENT_SEVERITIES:
            return Outcome.applied(None)
        fingerprint = rules.anomaly_fingerprint(event)
        impact = max(0, usd_to_micros(event.current_usd) - usd_to_micros(event.expected_usd))
        incident = self._open_match(event.tenant_id, fingerprint, event.occurred_at, None)
        if incident is None:
            incident = self._new(event.tenant_id, event.event_id, fingerprint, event.occurred_at,
                                 severity=event.severity, category=Category.COST_ANOMALY,
                                 cause=CauseType.SYSTEM, source=SourceType.COST_ANOMALY,
                                 title=rules.anomaly_title(event),
                                 description=rules.anomaly_description(event))  # fmt: skip
            incident.event_count = 1
            incident.cost_impact_micros = impact
            self._record(incident, TimelineEntryType.CREATED, event.occurred_at, event.event_id,
                         self._created_data(incident, event))  # fmt: skip
            return Outcome.applied(incident.incident_id)
        incident.event_count += 1
        incident.last_event_at = max(incident.last_event_at, event.occurred_at)
        incident.first_event_at = min(incident.first_event_at, event.occurred_at)
        # Re-detections keep the largest overspend seen: the impact never shrinks while open.
        incident.cost_impact_micros = max(incident.cost_impact_micros, impact)
        self._record(incident, TimelineEntryType.EVENT_ATTACHED, event.occurred_at, event.event_id,
                     {"event": _event_data(event), "event_count": incident.event_count})  # fmt: skip
        self._escalate(incident, event.severity, event.occurred_at, event.event_id)
        return Outcome.applied(incident.incident_id)

    # -- idle auto-resolve -------------------------------------------------------------------

    def auto_resolve_due(self, now: datetime) -> list[uuid.UUID]:
        """Resolve every loaded open incident idle past its timeout at ``now``."""
        return self.auto_resolve_before(lambda tenant_id: now)

    def auto_resolve_before(
        self, horizon: Callable[[str], datetime | None] | Mapping[str, datetime]
    ) -> list[uuid.UUID]:
        """Resolve every loaded open incident whose deadline lies before its tenant's horizon.

        The horizon is a time no later event of the tenant can precede (its stream time minus the
        allowed lateness, docs/adr/0001-event-time-idle-sweep.md). The resolution is the very one
        :meth:`_expire` makes when such an event arrives (same condition, ``resolved_at`` = the
        deadline, same timeline entry), so sweeping early or never gives the same incidents.
        """
        at = horizon.get if isinstance(horizon, Mapping) else horizon
        due = []
        for incident in self._incidents.values():
            limit = at(incident.tenant_id)
            if incident.is_open and limit is not None and limit > self._deadline(incident):
                due.append(incident)
        for incident in sorted(due, key=lambda i: (i.last_event_at, i.incident_id)):
            self._auto_resolve(incident)
        return [i.incident_id for i in due]

    # -- internals ---------------------------------------------------------------------------

    def _index(self, incident: Incident) -> None:
        self._incidents[incident.incident_id] = incident
        self._by_fingerprint[(incident.tenant_id, incident.fingerprint)].append(incident)

    def _commanded(self, tenant_id: str, incident_id: uuid.UUID) -> Incident | None:
        incident = self._incidents.get(incident_id)
        # Another tenant's incident is answered exactly like a missing one.
        return incident if incident is not None and incident.tenant_id == tenant_id else None

    def _timeout(self, incident: Incident) -> timedelta:
        if incident.source_type is SourceType.COST_ANOMALY:
            return self.config.anomaly_idle_timeout
        return self.config.idle_timeout

    def _deadline(self, incident: Incident) -> datetime:
        return incident.last_event_at + self._timeout(incident)

    def _expire(self, incident: Incident, at: datetime) -> None:
        """docs/product/incidents.md#lifecycle: idle past the timeout counts as resolved from then on, swept or not."""
        if incident.is_open and at > self._deadline(incident):
            self._auto_resolve(incident)

    def _auto_resolve(self, incident: Incident) -> None:
        resolved_at = self._deadline(incident)
        incident.lifecycle_state = LifecycleState.RESOLVED
        incident.resolved_at = resolved_at
        incident.resolved_by = AUTO_RESOLVER
        incident.resolution_method = ResolutionMethod.AUTO
        data = {"resolved_by": AUTO_RESOLVER, "method": ResolutionMethod.AUTO.value,
                "idle_timeout_s": int(self._timeout(incident).total_seconds())}  # fmt: skip
        self._record(incident, TimelineEntryType.AUTO_RESOLVED, resolved_at, None, data)

    def _resolve(self, incident: Incident, at: datetime, by: str, method: ResolutionMethod,
                 source_event_id: uuid.UUID, extra: dict[str, Any]) -> None:  # fmt: skip
        incident.lifecycle_state = LifecycleState.RESOLVED
        incident.resolved_at = at
        incident.resolved_by = by
        incident.resolution_method = method
        data = {"resolved_by": by, "method": method.value, **extra}
        self._record(incident, TimelineEntryType.RESOLVED, at, source_event_id, data)

    def _record(self, incident: Incident, entry_type: TimelineEntryType, at: datetime,
                source_event_id: uuid.UUID | None, data: dict[str, Any]) -> None:  # fmt: skip
        self.entries.append(timeline.append(incident, entry_type, at, source_event_id, data))
        self._dirty[incident.incident_id] = None

    def _open_match(
        self, tenant_id: str, fingerprint: str, at: datetime, window: timedelta | None
    ) -> Incident | None:
        """The open incident this event joins: the latest whose last event is within the window."""
        best: Incident | None = None
        for incident in self._by_fingerprint.get((tenant_id, fingerprint), ()):
            self._expire(incident, at)
            if not incident.is_open:
                continue
            if window is not None and at - incident.last_event_at > window:
                continue
            if best is None or (incident.last_event_at, incident.created_at) > (
                best.last_event_at,
                best.created_at,
            ):
                best = incident
        return best

    def _latest(self, tenant_id: str, fingerprint: str) -> Incident | None:
        candidates = self._by_fingerprint.get((tenant_id, fingerprint), ())
        return max(candidates, key=lambda i: (i.created_at, str(i.incident_id)), default=None)

    def _new(self, tenant_id: str, event_id: uuid.UUID, fingerprint: str, at: datetime, *,
             severity: Severity, category: Category, cause: CauseType, source: SourceType,
             title: str, description: str) -> Incident:  # fmt: skip
        previous = self._latest(tenant_id, fingerprint)
        incident = Incident(
            incident_id=incident_id_for(tenant_id, event_id),
            tenant_id=tenant_id,
            lifecycle_state=LifecycleState.ACTIVE,
            severity=severity,
            category=category,
            cause_type=cause,
            title=title,
            description=description,
            source_type=source,
            fingerprint=fingerprint,
            created_at=at,
            first_event_at=at,
            last_event_at=at,
            updated_at=at,
            recurrence_of=previous.incident_id if previous else None,
        )
        self._index(incident)
        return incident

    def _open_killswitch(self, event: KillswitchTriggered, fingerprint: str) -> Incident:
        incident = self._new(event.tenant_id, event.event_id, fingerprint, event.occurred_at,
                             severity=rules.initial_severity(event),
                             category=rules.CATEGORY[event.trigger_type],
                             cause=rules.cause_type(event), source=SourceType.KILLSWITCH,
                             title=rules.killswitch_title(event),
                             description=rules.killswitch_description(event))  # fmt: skip
        incident.llm_run_id = event.run_id
        incident.affected_agent_id = event.agent_id
        incident.policy_id = event.policy_id
        incident.trigger_type = event.trigger_type
        return self._start(incident, event)

    def _open_overflow(self, event: KillswitchTriggered, fingerprint: str) -> Incident:
        hour = rules.hour_start(event.occurred_at).strftime("%Y-%m-%d %H:00")
        cap = self.config.flood_cap_per_hour
        incident = self._new(event.tenant_id, event.event_id, fingerprint, event.occurred_at,
                             severity=rules.OVERFLOW_SEVERITY, category=Category.RATE_LIMIT,
                             cause=CauseType.SYSTEM, source=SourceType.KILLSWITCH,
                             title=f"Incident flood: more than {cap} new incidents in {hour} UTC",
                             description=("Killswitch events that would have opened incidents "
                                          "beyond the hourly cap are grouped here."))  # fmt: skip
        incident.error_code = "rate_limit_overflow"
        return self._start(incident, event, explicit=event.severity)

    def _start(self, incident: Incident, event: KillswitchTriggered,
               explicit: Severity | None = None) -> Incident:  # fmt: skip
        """Take in the opening event, record ``created``, then escalate if it warrants."""
        self._absorb(incident, event)
        self._record(incident, TimelineEntryType.CREATED, event.occurred_at, event.event_id,
                     self._created_data(incident, event))  # fmt: skip
        self._escalate(incident, explicit, event.occurred_at, event.event_id)
        return incident

    def _attach(self, incident: Incident, event: KillswitchTriggered) -> None:
        self._absorb(incident, event)
        data = {"event": _event_data(event), "event_count": incident.event_count,
                "calls_affected": incident.calls_affected}  # fmt: skip
        self._record(incident, TimelineEntryType.EVENT_ATTACHED, event.occurred_at,
                     event.event_id, data)  # fmt: skip
        self._escalate(incident, event.severity, event.occurred_at, event.event_id)

    @staticmethod
    def _absorb(incident: Incident, event: KillswitchTriggered) -> None:
        incident.event_count += 1
        incident.calls_affected += event.calls_affected
        if event.cost_delta_usd is not None:
            incident.cost_impact_micros += usd_to_micros(event.cost_delta_usd)
        incident.first_event_at = min(incident.first_event_at, event.occurred_at)
        incident.last_event_at = max(incident.last_event_at, event.occurred_at)
        if event.action.contains and (
            incident.contained_at is None or event.occurred_at < incident.contained_at
        ):
            incident.contained_at = event.occurred_at

    def _escalate(self, incident: Incident, explicit: Severity | None, at: datetime,
                  source_event_id: uuid.UUID) -> None:  # fmt: skip
        """Upward only: max(current, explicit, level of cumulative calls_affected)."""
        level = rules.escalation_level(incident.calls_affected)
        target = Severity.max(incident.severity, explicit, level)
        if target.rank <= incident.severity.rank:
            return
        previous = incident.severity
        incident.severity = target
        data = {"from": previous.value, "to": target.value,
                "calls_affected": incident.calls_affected}  # fmt: skip
        self._record(incident, TimelineEntryType.SEVERITY_ESCALATED, at, source_event_id, data)

    @staticmethod
    def _created_data(
        incident: Incident, event: KillswitchTriggered | CostAnomalyDetected
    ) -> dict[str, Any]:
        return {
            "event": _event_data(event),
            "severity": incident.severity.value,
            "category": incident.category.value,
            "fingerprint": incident.fingerprint,
            "recurrence_of": str(incident.recurrence_of) if incident.recurrence_of else None,
        }


def _event_data(event: KillswitchTriggered | CostAnomalyDetected) -> dict[str, Any]:
    """``event.model_dump(mode="json", exclude_none=True)`` without the Python wrapper around it."""
    data: dict[str, Any] = event.__pydantic_serializer__.to_python(
        event, mode="json", exclude_none=True
    )
    return data


def _unknown_incident(incident_id: uuid.UUID) -> Outcome:
    return Outcome.rejected(DlqReason.UNKNOWN_INCIDENT, f"incident_id: {incident_id} is unknown")
