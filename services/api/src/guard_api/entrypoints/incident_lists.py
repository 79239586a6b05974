"""Fixed-path incident lists (docs/product/rest-api.md). Registered before the ``/{incident_id}`` router."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentTenant, ReadScope
from guard_api.entrypoints.errors import error_responses
from guard_api.entrypoints.params import (
    CreatedDep,
    FiltersDep,
    PagingDep,
    ResolvedDep,
    SortCreatedDep,
    SortResolvedDep,
    list_query,
)
from guard_contracts.api.common import HistoricalIncidentList, IncidentList, RunIncidents
from guard_contracts.api.query import Topic
from guard_contracts.enums import LifecycleState

log = logging.getLogger(__name__)
PREFIX = "/api/v1/incidents"
router = APIRouter(
    prefix=PREFIX,
    tags=["incidents"],
    responses=error_responses(401, 403, 422),
    dependencies=[STRICT_QUERY],
)


@router.get(
    "",
    response_model=IncidentList,
    deprecated=True,
    summary="List incidents (deprecated: use /active, /resolved or /historical)",
)
async def list_incidents(
    tenant: CurrentTenant,
    scope: ReadScope,
    sort: SortCreatedDep,
    page: PagingDep,
    base: FiltersDep,
    created: CreatedDep,
    topic: Annotated[
        Topic | None,
        Query(description="ACTIVE = ACTIVE+ACKED, RESOLVED; wins over lifecycle_state."),
    ] = None,
    lifecycle_state: Annotated[LifecycleState | None, Query(description="Only this state.")] = None,
) -> Response:
    log.warning("deprecated endpoint called", extra={"path": PREFIX, "tenant_id": tenant})
    query = list_query(sort, page, base, created=created)
    result = await scope.incidents.list_all(tenant, query, topic, lifecycle_state)
    return responses.raw(result.content)


@router.get("/active", response_model=IncidentList, summary="Open incidents (ACTIVE and ACKED)")
async def active_incidents(
    tenant: CurrentTenant,
    scope: ReadScope,
    sort: SortCreatedDep,
    page: PagingDep,
    base: FiltersDep,
    created: CreatedDep,
) -> Response:
    result = await scope.incidents.active(tenant, list_query(sort, page, base, created=created))
    return responses.raw(result.content)


@router.get("/resolved", response_model=IncidentList, summary="Resolved incidents")
async def resolved_incidents(
    tenant: CurrentTenant,
    scope: ReadScope,
    sort: SortResolvedDep,
    page: PagingDep,
    base: FiltersDep,
    resolved: ResolvedDep,
) -> Response:
    query = list_query(sort, page, base, resolved=resolved)
    return responses.raw((await scope.incidents.resolved(tenant, query)).content)


@router.get(
    "/historical",
    response_model=HistoricalIncidentList,
    summary="Resolved incidents older than the retention window",
)
async def historical_incidents(
    tenant: CurrentTenant,
    scope: ReadScope,
    sort: SortResolvedDep,
    page: PagingDep,
    base: FiltersDep,
    retention_days: Annotated[
        int, Query(ge=7, le=365, description="Resolved before now − this many days, 7–365.")
    ] = 30,
) -> Response:
    result = await scope.incidents.historical(tenant, list_query(sort, page, base), retention_days)
    return responses.raw(result.content)


@router.get(
    "/by-run/{run_id}", response_model=RunIncidents, summary="Incidents of one run, newest first"
)
async def incidents_by_run(
    tenant: CurrentTenant,
    scope: ReadScope,
    run_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=256,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="The LLM run id (no control characters).",
        ),
    ],
) -> Response:
    return responses.raw((await scope.incidents.by_run(tenant, run_id)).content)
