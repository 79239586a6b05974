"""Shapes every REST answer shares: the error body, list envelopes, the O4/O5 envelope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from guard_contracts.incidents import IncidentSummary

T = TypeVar("T")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_authenticated`.")
    message: str = Field(description="One sentence for a person.")
    field: str | None = Field(
        default=None, description="The offending parameter or body field, dotted (422 only)."
    )


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the gateway, including 422 validation errors."""

    error: ErrorDetail


class Pagination(BaseModel):
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset + limit when has_more, else null.")


class IncidentList(BaseModel):
    """A page of incidents (docs/product/rest-api.md)."""

    model_config = ConfigDict(frozen=True)

    items: list[IncidentSummary]
    total: int
    has_more: bool
    filters_applied: dict[str, Any] = Field(
        description="The filters used, always with tenant_id; dates as ISO 8601 strings."
    )
    pagination: Pagination


class HistoricalIncidentList(IncidentList):
    cutoff_date: datetime = Field(description="Incidents resolved before this instant are listed.")


class RunIncidents(BaseModel):
    run_id: str
    incidents: list[IncidentSummary] = Field(description="Newest first.")
    total: int


class CommandAccepted(BaseModel):
    """202 answer: the command was published; ingest applies it asynchronously."""

    command_id: uuid.UUID = Field(description="The published command's event_id.")
    incident_id: uuid.UUID


class Meta(BaseModel):
    timestamp: datetime
    request_id: str


class Envelope(BaseModel, Generic[T]):
    """The O4/O5 envelope ``{success, data, meta}``."""

    success: bool = True
    data: T
    meta: Meta


class HealthPublic(BaseModel):
    """Liveness / readiness answer."""

    status: Literal["ok", "ready"]
