"""Facts for the executive debrief (docs/exports.md, "Executive debrief").

- Risk level = the incident's severity, critical included (never folded into high).
- Time to detect = from the first signal of the incident's own fingerprint (the earliest guard
  signal attached to it, or its first event for automated sources) to the incident opening;
  omitted when no such signal is known (a manually opened incident).
- Durations of open incidents read "open for …", measured to the export's request time (``as_of``).
- The spend chart covers the incident's own run (else its agent) around its window, in buckets
  sized to the window, and never past ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from guard_exporter.engines.phrasing import (
    action_verb,
    count,
    duration,
    join,
    plural,
    title_words,
    verb,
)
from guard_exporter.engines.records import IncidentData, IncidentRecord, SpendBucket
from guard_exporter.engines.serialize import usd_display

AUTOMATED_SOURCES = frozenset({"killswitch", "cost_anomaly"})
_METHOD_WORDS = {
    "released": "by releasing the killswitch",
    "rollback": "by a rollback",
    "manual": "manually",
    "manual_closure": "by manual closure",
    "auto": "automatically after a quiet period",
}
#: Bucket sizes the chart may use, smallest first; the first giving at most MAX_BUCKETS wins.
BUCKET_LADDER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=7),
)
MAX_BUCKETS = 24
#: Context shown before and after the incident: as long as the incident, at least this.
MIN_MARGIN = timedelta(minutes=30)
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday: week buckets start on Mondays


def method_words(method: str | None) -> str | None:
    """A resolution method as a board member reads it (``released`` → by releasing the killswitch)."""
    if method is None:
        return None
    return _METHOD_WORDS.get(method, f"by {title_words(method)}")


def risk_level(severity: str) -> str:
    """The severity itself, in capitals: CRITICAL, HIGH, MEDIUM, LOW."""
    return severity.upper()


def first_signal(data: IncidentData) -> datetime | None:
    """The first signal of the incident's own fingerprint, or None when none is known."""
    inc = data.incident
    times = [e.occurred_at for e in data.events]
    if inc.source_type in AUTOMATED_SOURCES:
        times.append(inc.first_event_at)
    return min(times) if times else None


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    detect: timedelta | None
    contain: timedelta | None
    resolve: timedelta | None
    detect_from: datetime | None


def response_times(data: IncidentData) -> ResponseTimes:
    """Detect: first signal → opened. Contain: opened → first stop/freeze. Resolve: opened →
    resolved. Each is None when its end (or start) is not in the data."""
    inc = data.incident
    signal = first_signal(data)
    detect = max(inc.created_at - signal, timedelta()) if signal is not None else None
    contain = inc.contained_at - inc.created_at if inc.contained_at else None
    resolve = inc.resolved_at - inc.created_at if inc.resolved_at else None
    return ResponseTimes(detect, contain, resolve, signal)


def affected_runs(data: IncidentData) -> list[str]:
    runs = {e.run_id for e in data.events if e.run_id}
    runs |= {s.run_id for s in data.run_steps if s.run_id}
    if data.incident.llm_run_id:
        runs.add(data.incident.llm_run_id)
    return sorted(runs)


def elapsed(incident: IncidentRecord, as_of: datetime) -> timedelta:
    """How long the incident lasted (first event → resolution) or has been open (→ ``as_of``)."""
    end = incident.resolved_at or max(as_of, incident.last_event_at)
    return end - incident.first_event_at


def duration_phrase(incident: IncidentRecord, as_of: datetime) -> str:
    """ "lasted 20 minutes" or "open for 3 hours 12 minutes"."""
    words = duration(elapsed(incident, as_of))
    return f"lasted {words}" if incident.resolved_at else f"open for {words}"


def _what_acted(data: IncidentData) -> str:
    inc = data.incident
    source = f"the {title_words(inc.trigger_type)} guard" if inc.trigger_type else "monitoring"
    actions = sorted({e.action for e in data.events if e.action})
    runs = affected_runs(data)
    if runs:
        target = f"run {runs[0]}" if len(runs) == 1 else count(len(runs), "run")
    elif inc.affected_agent_id:
        target = f"agent {inc.affected_agent_id}"
    else:
        target = "activity"
    agent = f" of agent {inc.affected_agent_id}" if inc.affected_agent_id and runs else ""
    policy = f" under policy {inc.policy_id}" if inc.policy_id else ""
    verbs = join([action_verb(a) for a in actions]) if actions else "flagged"
    return f"{source} {verbs} {target}{agent}{policy}"


def summary(data: IncidentData, as_of: datetime) -> str:
    """What happened, in a few sentences built only from facts the data holds."""
    inc = data.incident
    sentences = [
        f"On {inc.first_event_at:%Y-%m-%d at %H:%M} UTC {_what_acted(data)}: {inc.title.rstrip('.')}."
    ]
    calls = count(inc.calls_affected, "model call")
    signals = count(inc.event_count, "recorded signal")
    impact = f"${usd_display(inc.cost_impact_micros)}"
    sentences.append(
        f"{calls} {verb(inc.calls_affected, 'was')} affected across {signals}, "
        f"with a cost impact of {impact}."
    )
    reasons = sorted({e.reason for e in data.events if e.reason})
    if reasons:
        quoted = join([f"“{r}”" for r in reasons[:3]])
        more = f" and {count(len(reasons) - 3, 'other')}" if len(reasons) > 3 else ""
        label = "Reason" if len(reasons) == 1 else "Reasons"
        sentences.append(f"{label} given by the guard: {quoted}{more}.")
    if data.run_steps:
        sentences.append(
            f"The affected {plural(len(affected_runs(data)), 'run')} billed "
            f"{count(len(data.run_steps), 'model call')}."
        )
    if inc.resolved_at:
        method = method_words(inc.resolution_method)
        how = f" {method}" if method else ""
        sentences.append(
            f"The incident {duration_phrase(inc, as_of)} and was resolved{how} on "
            f"{inc.resolved_at:%Y-%m-%d at %H:%M} UTC."
        )
    else:
        sentences.append(
            f"The incident is still open; it has been {duration_phrase(inc, as_of)} "
            f"(as of {as_of:%Y-%m-%d %H:%M} UTC)."
        )
    return " ".join(sentences)


@dataclass(frozen=True, slots=True)
class ChartWindow:
    """What the spend chart covers: whose spend (run or agent), from when to when, bucket size."""

    scope: str  # "run" | "agent"
    scope_id: str
    start: datetime  # first bucket's start (aligned)
    end: datetime  # exclusive; never after as_of's bucket
    bucket: timedelta


def _floor(at: datetime, bucket: timedelta) -> datetime:
    return _EPOCH + ((at - _EPOCH) // bucket) * bucket


def chart_window(incident: IncidentRecord, as_of: datetime) -> ChartWindow | None:
    """None when the incident names neither a run nor an agent (a tenant-wide chart says nothing
    about the incident). The window is the incident's span with as much context either side
    (at least :data:`MIN_MARGIN`), cut at ``as_of``: no future buckets."""
    if incident.llm_run_id:
        scope, scope_id = "run", incident.llm_run_id
    elif incident.affected_agent_id:
        scope, scope_id = "agent", incident.affected_agent_id
    else:
        return None
    start = incident.first_event_at
    end = incident.resolved_at or max(as_of, incident.last_event_at)
    margin = max(end - start, MIN_MARGIN)
    low, high = start - margin, min(end + margin, max(as_of, incident.last_event_at))
    bucket = next(
        (b for b in BUCKET_LADDER if (high - low) / b <= MAX_BUCKETS - 2), BUCKET_LADDER[-1]
    )
    first = _floor(low, bucket)
    last = _floor(high, bucket) + bucket
    return ChartWindow(scope, scope_id, first, last, bucket)


def spend_series(window: ChartWindow, buckets: tuple[SpendBucket, ...]) -> list[SpendBucket]:
    """Every bucket of the window, zero where nothing was billed (inputs falling in the same
    bucket add up)."""
    by_start: dict[datetime, int] = {}
    for b in buckets:
        key = _floor(b.start, window.bucket)
        by_start[key] = by_start.get(key, 0) + b.cost_micros
    n = (window.end - window.start) // window.bucket
    starts = [window.start + i * window.bucket for i in range(n)]
    return [SpendBucket(s, by_start.get(s, 0)) for s in starts]


def incident_buckets(window: ChartWindow, incident: IncidentRecord, as_of: datetime) -> set[int]:
    """Indexes of the buckets the incident spans (highlighted on the chart)."""
    first = _floor(incident.first_event_at, window.bucket)
    last = _floor(incident.resolved_at or max(as_of, incident.last_event_at), window.bucket)
    n = (window.end - window.start) // window.bucket
    return {i for i in range(n) if first <= window.start + i * window.bucket <= last}
