"""Facts for the executive debrief (SPEC §9): risk, a summary built from the data, response times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from guard_exporter.engines.records import DailySpend, IncidentData, IncidentRecord
from guard_exporter.engines.serialize import usd_text

#: Days of spend shown either side of the incident in the chart.
SPEND_MARGIN_DAYS = 7
_RISK = {"critical": "HIGH", "high": "HIGH", "medium": "MEDIUM"}
_METHOD_WORDS = {
    "released": "by releasing the killswitch",
    "rollback": "by a rollback",
    "manual": "manually",
    "manual_closure": "by manual closure",
    "auto": "automatically after a quiet period",
}


def method_words(method: str | None) -> str:
    """A resolution method as a board member reads it (``released`` → by releasing the killswitch)."""
    if method is None:
        return "without a recorded method"
    return _METHOD_WORDS.get(method, f"by {method.replace('_', ' ')}")


def risk_level(severity: str) -> str:
    """critical/high → HIGH, medium → MEDIUM, anything else → LOW."""
    return _RISK.get(severity, "LOW")


def short_duration(value: timedelta | None) -> str:
    """``3 d 4 h``, ``2 h 05 min``, ``12 min 30 s``, ``45 s``; ``—`` when unknown."""
    if value is None:
        return "—"
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    detect: timedelta | None
    contain: timedelta | None
    resolve: timedelta | None
    detect_from: datetime


def response_times(data: IncidentData) -> ResponseTimes:
    """Detect: from the first sign of trouble (the affected run's first step, or the first guard
    signal) to the incident opening. Contain: opening to the first stop/freeze. Resolve: opening to
    resolution (SPEC §7.4 definitions)."""
    inc = data.incident
    starts = [inc.first_event_at] + [s.occurred_at for s in data.run_steps]
    detect_from = min(t for t in starts if t <= inc.created_at) if starts else inc.created_at
    contain = inc.contained_at - inc.created_at if inc.contained_at else None
    resolve = inc.resolved_at - inc.created_at if inc.resolved_at else None
    return ResponseTimes(inc.created_at - detect_from, contain, resolve, detect_from)


def affected_runs(data: IncidentData) -> list[str]:
    runs = {e.run_id for e in data.events if e.run_id}
    runs |= {s.run_id for s in data.run_steps if s.run_id}
    if data.incident.llm_run_id:
        runs.add(data.incident.llm_run_id)
    return sorted(runs)


def summary(data: IncidentData) -> str:
    inc = data.incident
    runs = affected_runs(data)
    actions = sorted({e.action for e in data.events if e.action})
    source = f"the {inc.trigger_type.replace('_', ' ')} guard" if inc.trigger_type else "monitoring"
    verb = " and ".join(actions) if actions else "flagged"
    agent = f" of agent {inc.affected_agent_id}" if inc.affected_agent_id else ""
    policy = f" under policy {inc.policy_id}" if inc.policy_id else ""
    end = inc.resolved_at or inc.last_event_at
    state = (
        f"was resolved {method_words(inc.resolution_method)} on "
        f"{inc.resolved_at:%Y-%m-%d %H:%M} UTC"
        if inc.resolved_at
        else "is still open"
    )
    run_text = f"{len(runs)} run{'s' if len(runs) != 1 else ''}" if runs else "activity"
    return (
        f"On {inc.first_event_at:%Y-%m-%d at %H:%M} UTC {source} {verb} {run_text}{agent}{policy}: "
        f"{inc.title}. {inc.calls_affected:,} model calls were affected across "
        f"{inc.event_count:,} recorded signals, with a cost impact of "
        f"${usd_text(inc.cost_impact_micros)} and {len(data.run_steps):,} billed steps in the "
        f"affected runs. The incident lasted {short_duration(end - inc.first_event_at)} and "
        f"{state}."
    )


def spend_window(incident: IncidentRecord) -> tuple[date, date]:
    """The days the spend chart covers: a week before the first event to a week after the end."""
    end = incident.resolved_at or incident.last_event_at
    return (
        incident.first_event_at.date() - timedelta(days=SPEND_MARGIN_DAYS),
        end.date() + timedelta(days=SPEND_MARGIN_DAYS),
    )


def daily_series(incident: IncidentRecord, spend: tuple[DailySpend, ...]) -> list[DailySpend]:
    """Every day of the window, zero where nothing was spent."""
    first, last = spend_window(incident)
    by_day = {s.day: s.cost_micros for s in spend}
    days = (last - first).days + 1
    return [
        DailySpend(first + timedelta(days=i), by_day.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]
