"""Export endpoints (docs/product/rest-api.md#exports): request an evidence bundle, SOC2 report or executive debrief;
read an export's status; download its artifact; fetch the bundle signing keys.

The module's ``router`` is listed in ``guard_api.entrypoints.ROUTERS``; the export use cases
(``adapters.exports.ExportsService``) live on the gateway, which starts and stops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

from guard_api.adapters.exports_ports import (
    MAX_WAIT_SECONDS,
    EvidenceExportCreate,
    ExportAccepted,
    ExportPublic,
    ExportsPort,
    PdfExportCreate,
    SigningKeys,
    finished,
)
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import STRICT_QUERY, CurrentPrincipal, CurrentTenant
from guard_api.entrypoints.errors import error_responses
from guard_contracts.api.common import ErrorBody
from guard_contracts.enums import ExportKind

IncidentId = Annotated[uuid.UUID, Path(description="The incident's UUID.")]
ExportId = Annotated[uuid.UUID, Path(description="The export's UUID (from the 202 answer).")]
Wait = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        allow_inf_nan=False,
        description="Seconds to wait for the export to finish.",
    ),
]
_KINDS = {
    "evidence": ExportKind.EVIDENCE,
    "soc2": ExportKind.SOC2,
    "executive-debrief": ExportKind.EXECUTIVE_DEBRIEF,
}


def _exports(request: Request) -> ExportsPort:
    service: ExportsPort = request.app.state.gateway.exports
    return service


def create_router() -> APIRouter:
    router = APIRouter(
        tags=["exports"],
        responses=error_responses(401, 403, 404, 422),
        # ``?wiat=5`` waited for nothing and answered 202 (fuzzing): refused like every router's.
        dependencies=[STRICT_QUERY],
    )
    _add_request_routes(router)
    _add_export_routes(router)
    return router


def _evidence_handler() -> Callable[..., Awaitable[Response]]:
    async def request_evidence(
        request: Request,
        principal: CurrentPrincipal,
        incident_id: IncidentId,
        body: Annotated[EvidenceExportCreate, Body()],
        wait: Wait = 0,
    ) -> Response:
        accepted = await _exports(request).request(
            principal, incident_id, ExportKind.EVIDENCE, body, wait
        )
        return responses.json(accepted, status_code=200 if finished(accepted.status) else 202)

    return request_evidence


def _pdf_handler(kind: ExportKind) -> Callable[..., Awaitable[Response]]:
    async def request_pdf(
        request: Request,
        principal: CurrentPrincipal,
        incident_id: IncidentId,
        body: Annotated[PdfExportCreate, Body()],
        wait: Wait = 0,
    ) -> Response:
        accepted = await _exports(request).request(principal, incident_id, kind, body, wait)
        return responses.json(accepted, status_code=200 if finished(accepted.status) else 202)

    return request_pdf


def _add_request_routes(router: APIRouter) -> None:
    for path, kind in _KINDS.items():
        router.add_api_route(
            f"/api/v1/incidents/{{incident_id}}/export/{path}",
            _evidence_handler() if kind is ExportKind.EVIDENCE else _pdf_handler(kind),
            methods=["POST"],
            status_code=202,
            response_model=ExportAccepted,
            responses={
                200: {"model": ExportAccepted, "description": "Finished within `?wait`."},
                503: {"model": ErrorBody, "description": "Kafka did not take the request."},
            },
            summary=f"Request a {kind.value.replace('_', ' ')} export of an incident",
            name=f"export_{kind.value}",
        )


def _add_export_routes(router: APIRouter) -> None:
    @router.get(
        "/api/v1/exports/signing-key",
        response_model=SigningKeys,
        summary="Ed25519 public keys that sign evidence bundles (for offline verification)",
    )
    async def signing_keys(request: Request, tenant: CurrentTenant) -> Response:
        return responses.json(await _exports(request).signing_keys())

    @router.get(
        "/api/v1/exports/{export_id}",
        response_model=ExportPublic,
        summary="An export's status (pending, rendering, completed, failed) and error",
    )
    async def export_status(
        request: Request, tenant: CurrentTenant, export_id: ExportId
    ) -> Response:
        return responses.json(await _exports(request).status(tenant, export_id))

    @router.get(
        "/api/v1/exports/{export_id}/download",
        summary="The export's artifact (PDF, ZIP or JSON) as an attachment",
        responses={
            200: {
                "description": "The artifact's bytes; `ETag` and `X-Content-SHA256` carry its "
                "SHA-256.",
                "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {
                        "schema": {"type": "object", "description": "The evidence bundle."}
                    },
                },
            },
            409: {
                "model": ErrorBody,
                "description": "`export_not_ready` (pending or rendering; retry, or ask with "
                "`?wait=`) or `export_failed` (the message carries the job's error).",
            },
        },
    )
    async def export_download(
        request: Request, tenant: CurrentTenant, export_id: ExportId, wait: Wait = 0
    ) -> Response:
        artifact = await _exports(request).download(tenant, export_id, wait)
        return Response(
            artifact.content,
            media_type=artifact.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{artifact.filename}"',
                "ETag": f'"{artifact.sha256}"',
                "X-Content-SHA256": artifact.sha256,
            },
        )


router = create_router()
