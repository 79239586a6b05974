"""Incident analytics use cases (L3, docs/product/analytics.md): window → repository → engine → answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from guard_api.adapters.analytics_settings import AnalyticsApiSettings
from guard_api.adapters.errors import ApiError
from guard_api.adapters.ports import JsonDocument
from guard_api.drivers.analytics import AnalyticsRepository
from guard_api.engines import analytics_history as history
from guard_api.engines.analytics_incidents import (
    PATTERN_IDS,
    SPIKE_SEVERITIES,
    SPIKE_WINDOW,
    CostImpactRow,
    MetricsAggregate,
    PatternGroup,
    RecurrenceGroup,
    cost_impact,
    metrics,
    patterns,
    recurring,
)
from guard_api.engines.analytics_numbers import Granularity, micros_usd
from guard_contracts.enums import OPEN_STATES

INCIDENT_JOB = "incident_rollup"


def granularity(value: str) -> Granularity:
    try:
        return Granularity(value)
    except ValueError:
        raise ApiError(
            "invalid_granularity",
            f"granularity must be day, week or month, not {value!r}",
            status=400,
            field="granularity",
        ) from None


def historical_document(
    kind: str,
    rows: list[history.IncidentDay],
    start: datetime,
    at: datetime,
    grain: Granularity,
    window_days: int,
    last: datetime | None,
) -> JsonDocument:
    """A historical answer as JSON bytes (``JsonDocument.of``)."""
    if kind == "trend":
        body = history.trend(rows, start, at, grain)
    elif kind == "distribution":
        body = history.distribution(rows)
    else:
        body = history.cost_trend(rows, start, at, grain)
    return JsonDocument.of({
        "generated_at": at.isoformat(),
        "granularity": grain.value,
        "window_days": window_days,
        "last_updated": None if last is None else last.isoformat(),
        **body,
    })  # fmt: skip


class IncidentAnalytics:
    def __init__(self, connection: Any, settings: AnalyticsApiSettings) -> None:
        self._connection = connection
        self.settings = settings

    async def _repo(self) -> AnalyticsRepository:
        return AnalyticsRepository(self._connection)

    async def patterns(
        self, tenant: str, window_hours: int, limit: int, now: datetime | None
    ) -> JsonDocument:
        at = self.settings.resolve_now(now)
        analyzed, rows = await (await self._repo()).pattern_groups(
            tenant,
            at - timedelta(hours=window_hours),
            at,
            spike_from=at - SPIKE_WINDOW,
            spike_severities=SPIKE_SEVERITIES,
            open_states=OPEN_STATES,
            ids=PATTERN_IDS,
            limit=limit,
        )
        return JsonDocument.of({
            "generated_at": at.isoformat(),
            "patterns": patterns(
                [
                    PatternGroup(r["pattern_type"], r["dimension"], r["count"], r["incident_ids"])
                    for r in rows
                ],
                limit,
            ),
            "incidents_analyzed": analyzed,
            "window_hours": window_hours,
        })  # fmt: skip

    async def recurring(
        self, tenant: str, baseline_days: int, threshold: int, limit: int, now: datetime | None
    ) -> JsonDocument:
        at = self.settings.resolve_now(now)
        rows = await (await self._repo()).recurrence_groups(
            tenant, at - timedelta(days=baseline_days), at, threshold, limit
        )
        groups = recurring([RecurrenceGroup(**dict(r)) for r in rows], limit)
        return JsonDocument.of({
            "generated_at": at.isoformat(),
            "groups": groups,
            "total_recurring": sum(g["total_occurrences"] for g in groups),
            "baseline_days": baseline_days,
        })  # fmt: skip

    async def cost_impact(
        self, tenant: str, baseline_days: int, limit: int, now: datetime | None
    ) -> JsonDocument:
        at = self.settings.resolve_now(now)
        rows = await (await self._repo()).cost_impact(
            tenant, at - timedelta(days=baseline_days), at
        )
        summaries, total = cost_impact([CostImpactRow(**dict(r)) for r in rows], limit)
        return JsonDocument.of({
            "generated_at": at.isoformat(),
            "summaries": summaries,
            "total_cost_impact": micros_usd(total),
            "baseline_days": baseline_days,
        })  # fmt: skip

    async def metrics(self, tenant: str, window_days: int, now: datetime | None) -> JsonDocument:
        at = self.settings.resolve_now(now)
        row = await (await self._repo()).metrics(
            tenant, at - timedelta(days=window_days), at, self.settings.sla_seconds, OPEN_STATES
        )
        counts = [
            "total_count",
            "active_count",
            "acked_count",
            "resolved_count",
            "critical_count",
            "high_count",
            "medium_count",
            "low_count",
        ]
        agg = MetricsAggregate(
            counts={k: row[k] for k in counts},
            ack=(row["ack_avg"], row["ack_median"], row["ack_p90"]),
            resolution=(row["res_avg"], row["res_median"], row["res_p90"]),
            containment=(row["con_avg"], row["con_median"]),
            sla_met=row["sla_met"],
            sla_breached=row["sla_breached"],
        )
        return JsonDocument.of(
            {"generated_at": at.isoformat(), **metrics(agg), "window_days": window_days}
        )

    async def _days(
        self, tenant: str, window_days: int, at: datetime, by_day: bool
    ) -> tuple[datetime, list[history.IncidentDay], datetime | None]:
        start = at - timedelta(days=window_days)
        repo = await self._repo()
        rows, last = await repo.incident_days(tenant, start, at, by_day, INCIDENT_JOB)
        days = [
            history.IncidentDay(
                r["day"],
                r["category"],
                r["severity"],
                r["cause_type"],
                r["created_count"],
                r["cost_micros"],
                r["resolved_count"],
                r["resolution_us_sum"],
            )
            for r in rows
        ]
        return start, days, last

    async def historical(
        self, kind: str, tenant: str, window_days: int, granularity_name: str, now: datetime | None
    ) -> JsonDocument:
        grain = granularity(granularity_name)
        at = self.settings.resolve_now(now)
        start, rows, last = await self._days(tenant, window_days, at, kind != "distribution")
        return historical_document(kind, rows, start, at, grain, window_days, last)
