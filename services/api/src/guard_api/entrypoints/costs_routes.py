"""Cost endpoints (docs/product/costs.md): /guard/costs/summary, /explained, /incidents.

The module's ``router`` is listed in ``guard_api.entrypoints.ROUTERS``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from guard_api.adapters.analytics_ports import CostQueriesPort, check_tenant
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentTenant, ReadScope
from guard_api.entrypoints.errors import error_responses
from guard_api.entrypoints.params import IntRange, Now
from guard_contracts.api.costs import CostExplainedPublic, CostIncidentsPublic, CostSummaryPublic

# Values, bounds and defaults of the query parameters, read by the routes below and by the fast
# lane (``fast_plans``), so each rule is written once.
Period = Literal["today", "7d", "30d"]
DEFAULT_PERIOD: Period = "today"
INCIDENTS_LIMIT = IntRange(1, 100, 20)

TenantParam = Annotated[
    str | None, Query(description="Must equal the token's tenant (else 403 tenant_mismatch).")
]


def create_router() -> APIRouter:
    router = APIRouter(
        prefix="/guard/costs",
        tags=["costs"],
        responses=error_responses(401, 403, 422),
        dependencies=[STRICT_QUERY],
    )

    def _queries(scope: ReadScope) -> CostQueriesPort:
        return scope.costs

    @router.get(
        "/summary",
        response_model=CostSummaryPublic,
        summary="Today, month to date, baseline, budget and projection",
    )
    async def cost_summary(
        tenant: CurrentTenant, scope: ReadScope, tenant_id: TenantParam = None, now: Now = None
    ) -> Response:
        check_tenant(tenant, tenant_id)
        return responses.raw((await _queries(scope).summary(tenant, now)).content)

    @router.get(
        "/explained",
        response_model=CostExplainedPublic,
        summary="Where the spend went, by feature, model and user",
    )
    async def cost_explained(
        tenant: CurrentTenant,
        scope: ReadScope,
        tenant_id: TenantParam = None,
        period: Annotated[Period, Query()] = DEFAULT_PERIOD,
        now: Now = None,
    ) -> Response:
        check_tenant(tenant, tenant_id)
        return responses.raw((await _queries(scope).explained(tenant, period, now)).content)

    @router.get(
        "/incidents",
        response_model=CostIncidentsPublic,
        summary="Cost anomalies of the last 30 days, newest first",
    )
    async def cost_incidents(
        tenant: CurrentTenant,
        scope: ReadScope,
        tenant_id: TenantParam = None,
        include_resolved: bool = False,
        limit: Annotated[int, INCIDENTS_LIMIT.query()] = INCIDENTS_LIMIT.default,
        now: Now = None,
    ) -> Response:
        check_tenant(tenant, tenant_id)
        answer = await _queries(scope).incidents(tenant, include_resolved, limit, now)
        return responses.raw(answer.content)

    return router


router = create_router()
