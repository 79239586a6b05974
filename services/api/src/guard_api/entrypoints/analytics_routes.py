"""Incident analytics endpoints (docs/product/rest-api.md#analytics), fixed paths under /api/v1/incidents.

The module's ``router`` is listed in ``guard_api.entrypoints.ROUTERS`` before the incident item
router, so these paths match before ``/{incident_id}``; the use cases come from the request scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from guard_api.adapters.analytics_ports import IncidentAnalyticsPort
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentTenant, ReadScope
from guard_api.entrypoints.errors import error_responses
from guard_api.entrypoints.params import IntRange, Now
from guard_contracts.api.analytics import (
    CostImpactPublic,
    HistoricalCostTrendPublic,
    HistoricalDistributionPublic,
    HistoricalTrendPublic,
    MetricsPublic,
    PatternsPublic,
    RecurringPublic,
)

# Bounds and defaults of the query parameters, read by the routes below and by the fast lane
# (``fast_plans``), so each rule is written once.
PATTERNS_WINDOW_HOURS = IntRange(1, 168, 24)
PATTERNS_LIMIT = IntRange(1, 50, 10)
BASELINE_DAYS = IntRange(1, 90, 30)
RECURRENCE_THRESHOLD = IntRange(2, 100, 3)
TOP_LIMIT = IntRange(1, 50, 20)  # recurring and cost-impact
METRICS_WINDOW_DAYS = IntRange(1, 90, 30)
HISTORY_WINDOW_DAYS = IntRange(7, 365, 90)
GRANULARITIES = ("day", "week", "month")
DEFAULT_GRANULARITY = "week"

WindowDays = Annotated[int, HISTORY_WINDOW_DAYS.query("Days back from now.")]
GranularityParam = Annotated[
    str,
    Query(
        description="day, week or month (anything else: 400 invalid_granularity).",
        json_schema_extra={"enum": list(GRANULARITIES)},
    ),
]


def create_router() -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/incidents",
        tags=["incident analytics"],
        responses=error_responses(401, 403, 422),
        dependencies=[STRICT_QUERY],
    )

    def _service(scope: ReadScope) -> IncidentAnalyticsPort:
        return scope.analytics

    @router.get(
        "/patterns",
        response_model=PatternsPublic,
        summary="Clusters, severity spikes and cascades (docs/product/analytics.md#patterns)",
    )
    async def incident_patterns(
        tenant: CurrentTenant,
        scope: ReadScope,
        window_hours: Annotated[int, PATTERNS_WINDOW_HOURS.query()] = PATTERNS_WINDOW_HOURS.default,
        limit: Annotated[int, PATTERNS_LIMIT.query("Per pattern type.")] = PATTERNS_LIMIT.default,
        now: Now = None,
    ) -> Response:
        return responses.raw(
            (await _service(scope).patterns(tenant, window_hours, limit, now)).content
        )

    @router.get(
        "/recurring",
        response_model=RecurringPublic,
        summary="Recurring incidents by fingerprint (docs/product/analytics.md#recurrence)",
    )
    async def incident_recurrence(
        tenant: CurrentTenant,
        scope: ReadScope,
        baseline_days: Annotated[int, BASELINE_DAYS.query()] = BASELINE_DAYS.default,
        recurrence_threshold: Annotated[
            int, RECURRENCE_THRESHOLD.query()
        ] = RECURRENCE_THRESHOLD.default,
        limit: Annotated[int, TOP_LIMIT.query()] = TOP_LIMIT.default,
        now: Now = None,
    ) -> Response:
        service = _service(scope)
        answer = await service.recurring(tenant, baseline_days, recurrence_threshold, limit, now)
        return responses.raw(answer.content)

    @router.get(
        "/cost-impact",
        response_model=CostImpactPublic,
        summary="Cost impact by category and resolution (docs/product/analytics.md#cost-impact)",
    )
    async def incident_cost_impact(
        tenant: CurrentTenant,
        scope: ReadScope,
        baseline_days: Annotated[int, BASELINE_DAYS.query()] = BASELINE_DAYS.default,
        limit: Annotated[int, TOP_LIMIT.query()] = TOP_LIMIT.default,
        now: Now = None,
    ) -> Response:
        answer = await _service(scope).cost_impact(tenant, baseline_days, limit, now)
        return responses.raw(answer.content)

    @router.get(
        "/metrics",
        response_model=MetricsPublic,
        summary="Counts, MTTA, MTTR, containment and SLA (docs/product/analytics.md#metrics)",
    )
    async def incident_metrics(
        tenant: CurrentTenant,
        scope: ReadScope,
        window_days: Annotated[int, METRICS_WINDOW_DAYS.query()] = METRICS_WINDOW_DAYS.default,
        now: Now = None,
    ) -> Response:
        return responses.raw((await _service(scope).metrics(tenant, window_days, now)).content)

    @router.get(
        "/historical/trend",
        response_model=HistoricalTrendPublic,
        summary="Incidents per period (docs/product/analytics.md#historical)",
        responses=error_responses(400),
    )
    async def historical_trend(
        tenant: CurrentTenant,
        scope: ReadScope,
        window_days: WindowDays = HISTORY_WINDOW_DAYS.default,
        granularity: GranularityParam = DEFAULT_GRANULARITY,
        now: Now = None,
    ) -> Response:
        answer = await _service(scope).historical("trend", tenant, window_days, granularity, now)
        return responses.raw(answer.content)

    @router.get(
        "/historical/distribution",
        response_model=HistoricalDistributionPublic,
        summary="Incidents by category, severity and cause (docs/product/analytics.md#historical)",
        responses=error_responses(400),
    )
    async def historical_distribution(
        tenant: CurrentTenant,
        scope: ReadScope,
        window_days: WindowDays = HISTORY_WINDOW_DAYS.default,
        granularity: GranularityParam = DEFAULT_GRANULARITY,
        now: Now = None,
    ) -> Response:
        service = _service(scope)
        answer = await service.historical("distribution", tenant, window_days, granularity, now)
        return responses.raw(answer.content)

    @router.get(
        "/historical/cost-trend",
        response_model=HistoricalCostTrendPublic,
        summary="Incident cost per period (docs/product/analytics.md#historical)",
        responses=error_responses(400),
    )
    async def historical_cost_trend(
        tenant: CurrentTenant,
        scope: ReadScope,
        window_days: WindowDays = HISTORY_WINDOW_DAYS.default,
        granularity: GranularityParam = DEFAULT_GRANULARITY,
        now: Now = None,
    ) -> Response:
        service = _service(scope)
        answer = await service.historical("cost-trend", tenant, window_days, granularity, now)
        return responses.raw(answer.content)

    return router


router = create_router()
