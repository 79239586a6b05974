"""Cost read use cases (L3, docs/product/costs.md): /guard/costs/summary, /explained, /incidents.

Everything comes from the rollups analytics keeps (and the anomalies ingest records), never from
raw cost events; ``last_updated`` says when the cost snapshot last advanced.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from guard_api.adapters.analytics_settings import AnalyticsApiSettings
from guard_api.adapters.ports import JsonDocument
from guard_api.drivers.analytics import AnalyticsRepository
from guard_api.engines import analytics_costs as costs
from guard_api.engines.analytics_numbers import floor_hour, half_up
from guard_contracts.money import micros_to_cents
from guard_storage.partitions import COST_ROLLUP_WATERMARK

#: The cost rollups' watermark, whose advance is ``last_updated`` (the name analytics writes).
COST_JOB = COST_ROLLUP_WATERMARK
PERIOD_DAYS = {"7d": 7, "30d": 30}
DIMENSIONS = {"feature": "feature_tag", "model": "model", "user": "user_id"}
EMPTY_NAMES = {"feature": "unclassified", "model": "unknown", "user": "anonymous"}
#: An explained item's trend compares it with its mean daily spend over this many days.
BASELINE_WINDOW = 7


def _name(dimension: str, raw: str) -> str:
    return raw or EMPTY_NAMES[dimension]


class CostQueries:
    def __init__(self, connection: Any, settings: AnalyticsApiSettings) -> None:
        self._connection = connection
        self.settings = settings

    async def _repo(self) -> AnalyticsRepository:
        return AnalyticsRepository(self._connection)

    async def summary(self, tenant: str, now: datetime | None) -> JsonDocument:
        at = self.settings.resolve_now(now)
        repo = await self._repo()
        today = at.date()
        midnight = costs.midnight(today)
        end = floor_hour(at) + timedelta(hours=1)  # the current hour, as far as processed
        month_start = costs.midnight(today.replace(day=1))
        inputs = await repo.summary_inputs(tenant, midnight, end, month_start, COST_JOB)
        today_micros = inputs.today_micros
        mtd_micros = today_micros + inputs.month_before_today_micros
        first_day = None if inputs.first_day is None else inputs.first_day.date()
        by_day = {day.date(): cost for day, cost in inputs.daily.items()}
        bases = {}
        for window in (7, 30):
            days = costs.baseline_days(today, window, first_day)
            stats = costs.mean_std([by_day.get(d, 0) for d in days])
            bases[window] = (days, stats)
        by_hour = {(b.date(), b.hour): cost for b, cost in inputs.hourly.items()}
        expected = costs.expected_so_far(by_hour, bases[7][0], at)
        deviation = costs.deviation_pct(today_micros, expected)
        trend, message = costs.trend(deviation)
        daily_limit, monthly_limit = inputs.daily_limit_micros, inputs.monthly_limit_micros
        projection = costs.projection(mtd_micros, at, monthly_limit)
        today_cents, mtd_cents = micros_to_cents(today_micros), micros_to_cents(mtd_micros)
        last = inputs.last_updated
        return JsonDocument.of({
            "tenant_id": tenant,
            "as_of": at.isoformat(),
            "last_updated": None if last is None else last.isoformat(),
            "today_cents": today_cents,
            "month_to_date_cents": mtd_cents,
            "expected_today_cents": None if expected is None else micros_to_cents(round(expected)),
            "deviation_pct": None if deviation is None else half_up(deviation),
            "trend": trend,
            "trend_message": message,
            **_baseline_fields(bases),
            **projection,
            "daily_budget_cents": None if daily_limit is None else micros_to_cents(daily_limit),
            "monthly_budget_cents": None
            if monthly_limit is None
            else micros_to_cents(monthly_limit),
            "daily_budget_pct": costs.budget_pct(today_micros, daily_limit),
            "monthly_budget_pct": costs.budget_pct(mtd_micros, monthly_limit),
            "summary": costs.summary_sentence(
                today_cents, trend, deviation, mtd_cents, projection["projected_month_cents"]
            ),
        })  # fmt: skip

    async def explained(self, tenant: str, period: str, now: datetime | None) -> JsonDocument:
        """The answer as JSON bytes shaped as ``CostExplainedPublic`` (validating and writing it
        through the model was ~80 us of ~1.4 ms of gateway CPU); ``test_api_costs_explained_ranking``
        holds the bytes to what the model writes."""
        at = self.settings.resolve_now(now)
        repo = await self._repo()
        today = at.date()
        midnight = costs.midnight(today)
        if period == "today":
            start, period_days = midnight, (at - midnight).total_seconds() / 86400
        else:
            start, period_days = (
                floor_hour(at - timedelta(days=PERIOD_DAYS[period])),
                PERIOD_DAYS[period],
            )
        end = floor_hour(at) + timedelta(hours=1)  # the current hour, as far as processed
        # Only the candidates for each list come back, with their 7-day baseline's inputs (see
        # ``_EXPLAINED_SPEND``): the engine ranks them, and a tenant with thousands of users has
        # ten baselines read, not thousands.
        rows, last = await repo.explained_spend(
            tenant,
            start,
            end,
            (midnight - timedelta(days=BASELINE_WINDOW), midnight),
            costs.TOP_ITEMS,
            COST_JOB,
        )
        total = sum(r.cost_micros for r in rows if r.dimension == "tenant_id")
        tops: dict[str, list[dict[str, Any]]] = {}
        for dimension, column in DIMENSIONS.items():
            items = [
                costs.ItemSpend(
                    _name(dimension, r.value),
                    r.cost_micros,
                    r.request_count,
                    None
                    if r.first_day is None
                    else costs.baseline_mean(
                        r.baseline_micros, today, BASELINE_WINDOW, r.first_day.date()
                    ),
                )
                for r in rows
                if r.dimension == column
            ]
            tops[dimension] = costs.explained_items(dimension, items, total, period_days)
        driver_type, driver_name, driver_pct = costs.largest_driver(tops)
        document = {
            "tenant_id": tenant,
            "period": period,
            "period_start": start.isoformat(),
            "period_end": at.isoformat(),
            "last_updated": None if last is None else last.isoformat(),
            "total_cents": micros_to_cents(total),
            "by_feature": tops["feature"],
            "by_model": tops["model"],
            "by_user": tops["user"],
            "largest_driver_type": driver_type,
            "largest_driver_name": driver_name,
            "largest_driver_pct": driver_pct,
            "summary": _driver_sentence(driver_type, driver_name, driver_pct),
        }
        return JsonDocument.of(document)

    async def incidents(
        self, tenant: str, include_resolved: bool, limit: int, now: datetime | None
    ) -> JsonDocument:
        at = self.settings.resolve_now(now)
        rows = await (await self._repo()).anomalies(tenant, at - timedelta(days=30), at)
        items = []
        for r in rows:
            record = costs.AnomalyRecord(
                event_id=str(r["event_id"]),
                anomaly_type=r["anomaly_type"],
                entity_type=r["entity_type"],
                entity_id=r["entity_id"],
                current_micros=r["current_micros"],
                threshold_micros=r["threshold_micros"],
                deviation_pct=None if r["deviation_pct"] is None else float(r["deviation_pct"]),
                window_end=r["window_end"],
                detected_at=r["detected_at"],
                incident_id=None if r["incident_id"] is None else str(r["incident_id"]),
                incident_state=r["lifecycle_state"],
                incident_resolved_at=r["resolved_at"],
                hard_limit_enabled=r["hard_limit_enabled"],
            )
            item = costs.anomaly_item(record, at)
            if include_resolved or item["status"] != "resolved":
                items.append(item)
        return JsonDocument.of({
            "tenant_id": tenant,
            "incidents": items[:limit],
            "total": len(items),
            "include_resolved": include_resolved,
            "generated_at": at.isoformat(),
        })  # fmt: skip


def _baseline_fields(bases: dict[int, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for window, (days, stats) in bases.items():
        out[f"baseline_{window}d_days"] = len(days)
        out[f"baseline_{window}d_avg_cents"] = (
            None if stats is None else micros_to_cents(round(stats[0]))
        )
        out[f"baseline_{window}d_stddev_cents"] = (
            None if stats is None else micros_to_cents(round(stats[1]))
        )
    return out


def _driver_sentence(kind: str | None, name: str | None, pct: float | None) -> str:
    if kind is None:
        return "No spending in this period."
    return f"The largest share of this period's spend came from {kind} {name} ({pct}%)."
