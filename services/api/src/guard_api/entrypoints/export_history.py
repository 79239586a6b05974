"""Audit-period exports and the export history (docs/exports.md).

``POST /api/v1/exports/audit-period`` and ``GET /api/v1/exports``. ``create_router(factory)`` is
called by the composition root with ``adapters.export_history.ExportHistoryService``; the router's
lifespan starts it (its own Kafka producer) after the app's own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Body, FastAPI, Query, Request, Response

from guard_api.adapters.export_history_ports import (
    CURSOR_PATTERN,
    HISTORY_DEFAULT_LIMIT,
    HISTORY_MAX_LIMIT,
    AuditExportAccepted,
    AuditPeriodExportCreate,
    ExportHistoryFactory,
    ExportHistoryPage,
    ExportHistoryPort,
)
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentPrincipal, CurrentTenant, Scope
from guard_api.entrypoints.errors import error_responses
from guard_contracts.enums import ExportKind


def _service(request: Request) -> ExportHistoryPort:
    service: ExportHistoryPort = request.app.state.export_history
    return service


def create_router(factory: ExportHistoryFactory) -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = factory(app.state.gateway.settings)
        await service.start()
        app.state.export_history = service
        try:
            yield
        finally:
            await service.stop()

    router = APIRouter(
        tags=["exports"],
        responses=error_responses(401, 403, 422),
        lifespan=lifespan,
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
        scope: Scope,
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
            scope.connection,
            tenant,
            limit=limit,
            cursor=cursor,
            kind=kind,
            incident_id=incident_id,
        )
        return responses.json(page)

    return router
