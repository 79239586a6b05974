"""What the export routes see of the export use cases: read models and a protocol (docs/product/rest-api.md#exports).

The routes import only this module; ``adapters.exports.ExportsService`` implements it and is given
to the router by the composition root (``main``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from guard_api.adapters.auth import Principal
from guard_contracts.enums import ExportFormat, ExportKind, ExportStatus
from guard_contracts.events import LongText, ShortText

#: Longest ``?wait=`` a caller may ask for, in seconds.
MAX_WAIT_SECONDS = 30


class ExportLinks(BaseModel):
    self: str
    download: str


class ExportAccepted(BaseModel):
    """The 202 answer to an export request."""

    export_id: uuid.UUID
    incident_id: uuid.UUID
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    links: ExportLinks


class ExportPublic(BaseModel):
    """An export job as the console sees it."""

    model_config = ConfigDict(from_attributes=True)

    export_id: uuid.UUID
    #: None for an export of many incidents (``audit_period``).
    incident_id: uuid.UUID | None = None
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    error: str | None = None
    requested_by: str
    requested_at: datetime
    completed_at: datetime | None = None
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    links: ExportLinks


class SigningKeyPublic(BaseModel):
    key_id: str
    algorithm: str
    public_key_pem: str
    development: bool = Field(
        default=False,
        description="True for the public development key: anything it signed proves nothing.",
    )
    warning: str | None = Field(
        default=None, description="Why this key must not be trusted, when it must not."
    )
    registered_at: datetime


class SigningKeys(BaseModel):
    """Every key the exporter has signed bundles with, newest first; verify with any of them."""

    keys: list[SigningKeyPublic] = Field(default_factory=list)


class ExportCreate(BaseModel):
    """An export request body; each kind narrows ``format`` to what it can be rendered as."""

    model_config = ConfigDict(extra="forbid")

    format: ExportFormat
    # The contract's text types: stripped, no U+0000, ``prepared_for`` not blank (what the
    # published event requires; docs/product/events.md#text).
    export_reason: LongText | None = None
    prepared_for: ShortText | None = None


class EvidenceExportCreate(ExportCreate):
    format: Literal[ExportFormat.JSON, ExportFormat.ZIP] = Field(
        description="A JSON document or a ZIP of files, with a signed manifest."
    )


class PdfExportCreate(ExportCreate):
    format: Literal[ExportFormat.PDF] = Field(description="Rendered as a PDF.")


class Download(BaseModel):
    content: bytes
    content_type: str
    filename: str
    sha256: str


class ExportsPort(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def request(
        self,
        principal: Principal,
        incident_id: uuid.UUID,
        kind: ExportKind,
        body: ExportCreate,
        wait: float,
    ) -> ExportAccepted: ...
    async def status(self, tenant_id: str, export_id: uuid.UUID) -> ExportPublic: ...
    async def download(self, tenant_id: str, export_id: uuid.UUID, wait: float) -> Download: ...
    async def signing_keys(self) -> SigningKeys: ...


def finished(status: ExportStatus) -> bool:
    """A request whose ``?wait`` saw the export finish answers 200 instead of 202."""
    return status in (ExportStatus.COMPLETED, ExportStatus.FAILED)
