"""One incident: detail, timeline, evidence (O4), proof (O5), learnings, commands (docs/product/rest-api.md).

Included last, so fixed paths such as ``/active`` never reach ``/{incident_id}``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from guard_api.adapters.auth import require_preflight
from guard_api.entrypoints import responses
from guard_api.entrypoints.deps import (
    STRICT_QUERY,
    CurrentPrincipal,
    CurrentSettings,
    CurrentTenant,
    IncidentScope,
    ReadScope,
    RequestId,
)
from guard_api.entrypoints.errors import error_responses
from guard_contracts.api.common import CommandAccepted, Envelope
from guard_contracts.api.evidence import Evidence, IncidentTimeline, Proof
from guard_contracts.api.learnings import Learnings
from guard_contracts.enums import CommandResolutionMethod
from guard_contracts.incidents import IncidentDetail

router = APIRouter(
    prefix="/api/v1/incidents",
    tags=["incidents"],
    responses=error_responses(401, 403, 404, 422),
    dependencies=[STRICT_QUERY],
)
IncidentId = Annotated[uuid.UUID, Path(description="The incident's UUID.")]


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # NUL cannot be stored in the timeline's JSONB, so it is refused here rather than in ingest.
    notes: str | None = Field(default=None, max_length=4096, pattern=r"^[^\x00]*$")


class ResolveRequest(AcknowledgeRequest):
    resolution_method: CommandResolutionMethod | None = Field(
        default=None, description="Defaults to manual when ingest applies the command."
    )


@router.get("/{incident_id}", response_model=IncidentDetail, summary="Every field of an incident")
async def incident_detail(
    tenant: CurrentTenant, scope: ReadScope, incident_id: IncidentId
) -> Response:
    return responses.raw((await scope.incidents.detail_json(tenant, incident_id)).content)


@router.get(
    "/{incident_id}/evidence",
    response_model=Envelope[Evidence],
    summary="Evidence (O4): run steps, policies, related incidents, suggestions; preflight only",
)
async def incident_evidence(
    tenant: CurrentTenant,
    settings: CurrentSettings,
    scope: IncidentScope,
    incident_id: IncidentId,
    request_id: RequestId,
) -> Response:
    require_preflight(settings.environment)
    return responses.enveloped(await scope.evidence.evidence(tenant, incident_id), request_id)


@router.get(
    "/{incident_id}/proof",
    response_model=Envelope[Proof],
    summary="Proof (O5): the recomputed timeline hash chain; preflight only",
)
async def incident_proof(
    tenant: CurrentTenant,
    settings: CurrentSettings,
    scope: IncidentScope,
    incident_id: IncidentId,
    request_id: RequestId,
) -> Response:
    require_preflight(settings.environment)
    return responses.enveloped(await scope.evidence.proof(tenant, incident_id), request_id)


@router.get(
    "/{incident_id}/timeline",
    response_model=IncidentTimeline,
    summary="The incident's changes, oldest first (ours; in production too, unlike proof)",
)
async def incident_timeline(
    tenant: CurrentTenant, scope: IncidentScope, incident_id: IncidentId
) -> Response:
    return responses.json(await scope.evidence.timeline(tenant, incident_id))


@router.get(
    "/{incident_id}/learnings",
    response_model=Learnings,
    summary="Resolution summary, similar incidents and insights",
)
async def incident_learnings(
    tenant: CurrentTenant, scope: IncidentScope, incident_id: IncidentId
) -> Response:
    return responses.json(await scope.learnings.learnings(tenant, incident_id))


@router.post(
    "/{incident_id}/acknowledge",
    status_code=202,
    response_model=CommandAccepted,
    responses=error_responses(409, 503),
    summary="Publish an acknowledge command (applied by ingest)",
)
async def acknowledge_incident(
    caller: CurrentPrincipal,
    scope: IncidentScope,
    incident_id: IncidentId,
    body: Annotated[AcknowledgeRequest | None, Body()] = None,
) -> Response:
    notes = body.notes if body else None
    accepted = await scope.commands.acknowledge(caller, incident_id, notes)
    return responses.json(accepted, status_code=202)


@router.post(
    "/{incident_id}/resolve",
    status_code=202,
    response_model=CommandAccepted,
    responses=error_responses(503),
    summary="Publish a resolve command (applied by ingest)",
)
async def resolve_incident(
    caller: CurrentPrincipal,
    scope: IncidentScope,
    incident_id: IncidentId,
    body: Annotated[ResolveRequest | None, Body()] = None,
) -> Response:
    request = body or ResolveRequest()
    accepted = await scope.commands.resolve(
        caller, incident_id, request.notes, request.resolution_method
    )
    return responses.json(accepted, status_code=202)
