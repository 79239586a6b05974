"""Cost summary, explanation and anomaly list formulas (docs/product/costs.md). Pure; money in micros.

Cents = exact USD × 100 rounded half up once (``micros_to_cents``). Baselines, expected spend so
far, deviation and trend are ``guard_rules.costs`` (shared with analytics' anomaly detector).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from guard_api.engines.analytics_numbers import half_up
from guard_contracts.money import micros_to_cents
from guard_rules.costs import (
    BELOW_PCT,
    baseline_days,
    baseline_mean,
    deviation_pct,
    expected_so_far,
    mean_std,
    trend,
)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Budget:
    daily_limit_micros: int | None
    monthly_limit_micros: int | None


def projection(mtd_micros: int, now: datetime, monthly_limit_micros: int | None) -> dict[str, Any]:
    """days_elapsed, daily average, month projection and days until the budget runs out."""
    days_elapsed = now.day  # whole days since the 1st + 1
    days_in_month = calendar.monthrange(now.year, now.month)[1]
    mtd = micros_to_cents(mtd_micros)
    projected = mtd * days_in_month // days_elapsed
    until: int | None = None
    if monthly_limit_micros is not None and mtd > 0:
        remaining = micros_to_cents(monthly_limit_micros) - mtd
        until = 0 if remaining <= 0 else remaining * days_elapsed // mtd
    return {
        "days_elapsed": days_elapsed,
        "days_in_month": days_in_month,
        "daily_avg_cents": half_up(Decimal(mtd) / days_elapsed),
        "projected_month_cents": projected,
        "days_until_budget_exhausted": until,
    }


def budget_pct(spent_micros: int, limit_micros: int | None) -> float | None:
    if not limit_micros:
        return None
    return half_up(Decimal(spent_micros) * 100 / limit_micros)


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def summary_sentence(
    today_cents: int, trend_name: str, deviation: float | None, mtd_cents: int, projected_cents: int
) -> str:
    level = {
        "spike": "well above your usual level",
        "rising": "higher than usual",
    }.get(
        trend_name,
        "below your usual level"
        if deviation is not None and deviation < BELOW_PCT
        else "about your usual level",
    )
    if deviation is None:
        level = "with no history yet to compare"
    return (
        f"You have spent {dollars(today_cents)} today, {level}; "
        f"{dollars(mtd_cents)} so far this month, on track for {dollars(projected_cents)}."
    )


def display_model(name: str) -> str:
    """ "claude-" → "Claude ", hyphens → spaces, title case."""
    if name.startswith("claude-"):
        name = "Claude " + name[len("claude-") :]
    return name.replace("-", " ").title()


@dataclass(frozen=True, slots=True)
class ItemSpend:
    name: str
    spend_micros: int
    requests: int
    baseline_daily_micros: float | None  # 7-day baseline, None when none


#: Items an explanation lists per dimension.
TOP_ITEMS = 10


def top_items(items: Sequence[ItemSpend]) -> list[int]:
    """Positions of the items an explanation lists, in order: spend desc, then name asc (a stable
    sort, so equal items keep their order), at most ``TOP_ITEMS``. The ranking needs no baseline,
    so only these items' baselines are read."""
    return sorted(range(len(items)), key=lambda k: (-items[k].spend_micros, items[k].name))[
        :TOP_ITEMS
    ]


def explained_items(
    dimension: str, items: Sequence[ItemSpend], total_micros: int, period_days: float
) -> list[dict[str, Any]]:
    """The top items (``top_items``); pct 1 decimal; trend against baseline × period days."""
    ranked = [items[k] for k in top_items(items)]
    out = []
    for item in ranked:
        expected = (
            None if item.baseline_daily_micros is None else item.baseline_daily_micros * period_days
        )
        name, message = trend(deviation_pct(item.spend_micros, expected))
        entry: dict[str, Any] = {
            "name": item.name,
            "spend_cents": micros_to_cents(item.spend_micros),
            "requests": item.requests,
            "pct": half_up(Decimal(item.spend_micros) * 100 / total_micros, 1)
            if total_micros
            else 0.0,
            "trend": name,
            "trend_message": message,
        }
        if dimension == "model":
            entry["display_name"] = display_model(item.name)
        out.append(entry)
    return out


DRIVER_ORDER = ("feature", "model", "user")


def largest_driver(
    tops: dict[str, list[dict[str, Any]]],
) -> tuple[str | None, str | None, float | None]:
    """The highest top-item pct; ties feature > model > user."""
    best: tuple[str | None, str | None, float | None] = (None, None, None)
    for dimension in DRIVER_ORDER:
        items = tops.get(dimension) or []
        if items and (best[2] is None or items[0]["pct"] > best[2]):
            best = (dimension, items[0]["name"], items[0]["pct"])
    return best


@dataclass(frozen=True, slots=True)
class AnomalyRecord:
    event_id: str
    anomaly_type: str
    entity_type: str
    entity_id: str
    current_micros: int
    threshold_micros: int
    deviation_pct: float | None
    window_end: datetime
    detected_at: datetime
    incident_id: str | None
    incident_state: str | None
    incident_resolved_at: datetime | None
    hard_limit_enabled: bool


_TITLES = {
    "budget_exceeded": "{who} reached its budget",
    "budget_warning": "{who} is close to its budget",
    "cost_spike": "Spending jump on {who}",
    "cost_drift": "Spending creeping up on {who}",
}
_RECOMMENDATIONS = {
    "budget_exceeded": "Review what drove the spend and raise the budget if the usage is expected.",
    "budget_warning": "Check the remaining budget against the planned work for this period.",
    "cost_spike": "Look at the runs behind the jump; a loop or a larger model is the usual cause.",
    "cost_drift": "Compare this week's usage with last month's; adjust the budget or usage.",
}


def _who(entity_type: str, entity_id: str) -> str:
    return "your account" if entity_type == "tenant" else f"{entity_type} {entity_id}"


def anomaly_item(record: AnomalyRecord, now: datetime) -> dict[str, Any]:
    """One ``/guard/costs/incidents`` item; severity is never shown."""
    resolved_at: datetime | None = None
    if record.incident_id is not None and record.incident_state == "RESOLVED":
        resolved_at = record.incident_resolved_at
    elif record.incident_id is None and record.window_end <= now:
        resolved_at = record.window_end
    if resolved_at is not None:
        status = "resolved"
    elif record.anomaly_type == "budget_exceeded" and record.hard_limit_enabled:
        status = "protected"
    else:
        status = "attention_needed"
    current = micros_to_cents(record.current_micros)
    threshold = micros_to_cents(record.threshold_micros)
    who = _who(record.entity_type, record.entity_id)
    return {
        "id": record.event_id,
        "title": _TITLES.get(record.anomaly_type, "Unusual spending on {who}")
        .format(who=who)
        .capitalize()
        if record.entity_type == "tenant"
        else _TITLES.get(record.anomaly_type, "Unusual spending on {who}").format(who=who),
        "trigger_type": record.anomaly_type,
        "status": status,
        "current_cents": current,
        "threshold_cents": threshold,
        "overage_cents": max(0, current - threshold),
        "deviation_pct": None if record.deviation_pct is None else half_up(record.deviation_pct),
        "recommendation": _RECOMMENDATIONS.get(record.anomaly_type, "Review recent usage."),
        "detected_at": record.detected_at.isoformat(),
        "resolved_at": None if resolved_at is None else resolved_at.isoformat(),
        "incident_id": record.incident_id,
    }


__all__ = [  # the shared rules the cost adapter reaches through this module
    "baseline_days",
    "baseline_mean",
    "deviation_pct",
    "expected_so_far",
    "mean_std",
    "trend",
]
