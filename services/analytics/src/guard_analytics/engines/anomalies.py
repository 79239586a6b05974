"""The anomaly detector (docs/product/costs.md): spike, drift, budget thresholds. Pure; money in micros.

Each finding carries the ``period`` that makes its event id deterministic, so a threshold fires
once per entity and period however often the detector runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from guard_contracts.enums import AnomalyType, Severity
from guard_rules.costs import baseline, deviation_pct

SPIKE_FACTOR = 1.4
SPIKE_DAYS = 2
DRIFT_FACTOR = 1.25
DRIFT_DAYS = 3


@dataclass(frozen=True, slots=True)
class Entity:
    entity_type: str  # tenant | feature | model | user
    entity_id: str


@dataclass(frozen=True, slots=True)
class Finding:
    anomaly_type: AnomalyType
    entity: Entity
    period: str
    current_micros: int
    expected_micros: int
    threshold_micros: int
    deviation_pct: float | None
    severity: Severity
    window_start: datetime
    window_end: datetime
    #: Lower budget levels reached at the same check, as (type, period): they count as fired
    #: for the period without being sent (docs/notifications.md, "no floods at the source").
    covers: tuple[tuple[AnomalyType, str], ...] = ()


def severity_for_deviation(deviation: float | None) -> Severity | None:
    """≥ 40 % high, ≥ 25 % medium, ≥ 15 % low; below that no anomaly worth a severity."""
    if deviation is None:
        return None
    if deviation >= 40:
        return Severity.HIGH
    if deviation >= 25:
        return Severity.MEDIUM
    if deviation >= 15:
        return Severity.LOW
    return None


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def spike(entity: Entity, daily: dict[date, int], first: date | None, day: date) -> Finding | None:
    """Daily spend ≥ 1.4 × the 7-day baseline on ``day`` and the day before it.

    The baseline is taken once, before the first of those days, so the first spike day does not
    raise the bar for the second."""
    base = baseline(daily, day - timedelta(days=SPIKE_DAYS - 1), 7, first)
    if base is None or base.mean_micros <= 0:
        return None
    expected = base.mean_micros
    days = [day - timedelta(days=offset) for offset in range(SPIKE_DAYS)]
    if any(daily.get(d, 0) < SPIKE_FACTOR * expected for d in days):
        return None
    current = daily.get(day, 0)
    deviation = deviation_pct(current, expected)
    return Finding(
        anomaly_type=AnomalyType.COST_SPIKE,
        entity=entity,
        period=day.isoformat(),
        current_micros=current,
        expected_micros=round(expected),
        threshold_micros=round(SPIKE_FACTOR * expected),
        deviation_pct=deviation,
        severity=severity_for_deviation(deviation) or Severity.HIGH,
        window_start=_day_start(day - timedelta(days=SPIKE_DAYS - 1)),
        window_end=_day_start(day + timedelta(days=1)),
    )


def _seven_day_average(daily: dict[date, int], end: date) -> float:
    return sum(daily.get(end - timedelta(days=i), 0) for i in range(7)) / 7


def drift(entity: Entity, daily: dict[date, int], first: date | None, day: date) -> Finding | None:
    """The 7-day average ≥ 1.25 × the 30-day baseline on 3 days running, ending on ``day``.

    The baseline is the 30 days before the first of those weeks, taken once, so the drift itself
    never raises its own bar. Fires once per ISO week of ``day`` (a drift lasts; one alert a
    week is enough)."""
    first_week_start = day - timedelta(days=DRIFT_DAYS - 1 + 6)
    base = baseline(daily, first_week_start, 30, first)
    if base is None or base.mean_micros <= 0:
        return None
    expected = base.mean_micros
    ends = [day - timedelta(days=offset) for offset in range(DRIFT_DAYS)]
    if any(_seven_day_average(daily, end) < DRIFT_FACTOR * expected for end in ends):
        return None
    average = _seven_day_average(daily, day)
    deviation = deviation_pct(average, expected)
    year, week, _ = day.isocalendar()
    return Finding(
        anomaly_type=AnomalyType.COST_DRIFT,
        entity=entity,
        period=f"{year}-W{week:02d}",
        current_micros=round(average),
        expected_micros=round(expected),
        threshold_micros=round(DRIFT_FACTOR * expected),
        deviation_pct=deviation,
        severity=severity_for_deviation(deviation) or Severity.MEDIUM,
        window_start=_day_start(day - timedelta(days=6)),
        window_end=_day_start(day + timedelta(days=1)),
    )


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    entity: Entity
    limit_kind: str  # daily | monthly
    limit_micros: int
    spent_micros: int
    warn_pct: int
    hard_limit: bool
    period: str  # the budget period: YYYY-MM-DD or YYYY-MM
    window_start: datetime
    window_end: datetime


def budget_levels(warn_pct: int) -> list[int]:
    """Levels that fire: the warn threshold, 90 (the high warning) when it is above the warn
    threshold, and 100. Nothing fires below the warn threshold."""
    warn = min(warn_pct, 100)
    return sorted({warn, 100} | ({90} if warn < 90 else set()))


def _level_kind(level: int, hard_limit: bool) -> tuple[AnomalyType, Severity]:
    if level >= 100:
        return AnomalyType.BUDGET_EXCEEDED, Severity.CRITICAL if hard_limit else Severity.HIGH
    return AnomalyType.BUDGET_WARNING, Severity.HIGH if level >= 90 else Severity.MEDIUM


def budget(check: BudgetCheck) -> list[Finding]:
    """At most one finding: the highest level reached (warn → budget_warning medium, 90 →
    budget_warning high, 100 → budget_exceeded high, critical with a hard limit).

    Levels crossed together fire once, at the highest; the lower ones ride along in ``covers``
    and are recorded as fired for the period, so a later check does not send them either.
    """
    if check.limit_micros <= 0:
        return []
    reached = [
        level
        for level in budget_levels(check.warn_pct)
        if check.spent_micros * 100 >= check.limit_micros * level
    ]
    if not reached:
        return []
    top = reached[-1]
    kind, severity = _level_kind(top, check.hard_limit)
    return [
        Finding(
            anomaly_type=kind,
            entity=check.entity,
            period=f"{check.limit_kind}:{check.period}:{top}",
            current_micros=check.spent_micros,
            expected_micros=check.limit_micros,
            threshold_micros=check.limit_micros * top // 100,
            deviation_pct=deviation_pct(check.spent_micros, check.limit_micros),
            severity=severity,
            window_start=check.window_start,
            window_end=check.window_end,
            covers=tuple(
                (
                    _level_kind(level, check.hard_limit)[0],
                    f"{check.limit_kind}:{check.period}:{level}",
                )
                for level in reached[:-1]
            ),
        )
    ]
