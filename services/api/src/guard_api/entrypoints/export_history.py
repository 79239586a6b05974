"""Audit-period exports and the export history (docs/exports.md).

``POST /api/v1/exports/audit-period`` and ``GET /api/v1/exports``. The module's ``router`` is
listed in ``guard_api.entrypoints.ROUTERS``; the use cases are the gateway's export service.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from guard_api.adapters.export_history_ports import (
    CURSOR_PATTERN,
    HISTORY_DEFAULT_LIMIT,
    HISTORY_MAX_LIMIT,
    AuditExportAccepted,
    AuditPeriodExportCreate,
    ExportHistoryPage,
    ExportHistoryPort,
)
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentPrincipal, CurrentTenant
from guard_api.entrypoints.errors import error_responses
from guard_contracts.enums import ExportKind


def _service(request: Request) -> ExportHistoryPort:
    service: ExportHistoryPort = request.app.state.gateway.exports
    return service


def create_router() -> APIRouter:
    router = APIRouter(
        tags=["exports"],
        responses=error_responses(401, 403, 422),
        dependencies=[STRICT_QUERY],
    )

    @router.post(
        "/api/v1/exports/audit-period",
        status_code=202,
        response_model=AuditExportAccepted,
        summary="Request a signed ZIP of every incident of the tenant in a period (for auditors)",
    )
    async def request_audit_period(
        request: Request,
        principal: CurrentPrincipal,
        body: Annotated[AuditPeriodExportCreate, Body()],
    ) -> Response:
        accepted = await _service(request).request_audit(principal, body)
        return responses.json(accepted, status_code=202)

    @router.get(
        "/api/v1/exports",
        response_model=ExportHistoryPage,
        summary="The tenant's exports, newest request first (paged with next_cursor)",
    )
    async def export_history(
        request: Request,
        tenant: CurrentTenant,
        limit: Annotated[
            int, Query(ge=1, le=HISTORY_MAX_LIMIT, description="Exports per page.")
        ] = HISTORY_DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page."),
        ] = None,
        kind: Annotated[ExportKind | None, Query(description="Only this kind.")] = None,
        incident_id: Annotated[
            uuid.UUID | None, Query(description="Only exports of this incident.")
        ] = None,
    ) -> Response:
        page = await _service(request).history(
            tenant,
            limit=limit,
            cursor=cursor,
            kind=kind,
            incident_id=incident_id,
        )
        return responses.json(page)

    return router


router = create_router()
