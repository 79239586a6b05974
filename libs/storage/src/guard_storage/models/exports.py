"""Tables written by the exporter service (docs/product/exports.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from guard_storage.models.base import Base, created_at_column

TENANT = String(64)


class ExportJob(Base):
    """One export request and, once rendered, its artifact.

    The artifact lives in ``artifact`` (Postgres) or, when the exporter is configured with an
    artifact directory, in the file ``artifact_path``; ``sha256`` and ``size_bytes`` describe it
    either way.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "export_id"),
        CheckConstraint("status IN ('pending','rendering','completed','failed')", name="status"),
        Index("ix_export_jobs_tenant_incident", "tenant_id", "incident_id"),
        # The export history (GET /api/v1/exports): a tenant's jobs, newest request first.
        Index("ix_export_jobs_tenant_requested", "tenant_id", "requested_at", "export_id"),
    )

    tenant_id: Mapped[str] = mapped_column(TENANT)
    export_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    #: None for exports that cover many incidents (``audit_period``).
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(256))
    export_reason: Mapped[str | None] = mapped_column(Text)
    prepared_for: Mapped[str | None] = mapped_column(String(256))
    requested_at: Mapped[datetime]
    #: What an ``audit_period`` export covers: ``{"from", "to", "filters"}``.
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(128))
    filename: Mapped[str | None] = mapped_column(String(256))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    artifact_path: Mapped[str | None] = mapped_column(Text)
    #: Which signing key signed the artifact's evidence bundle (see ``export_signing_keys``).
    signing_key_id: Mapped[str | None] = mapped_column(String(16))
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ExportSigningKey(Base):
    """Public halves of the Ed25519 keys the exporter has signed bundles with (for verifiers).

    The exporter registers its key at start-up; the API serves these, so a verifier never needs
    the exporter's configuration, and bundles signed before a key rotation stay verifiable.
    """

    __tablename__ = "export_signing_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key_pem: Mapped[str] = mapped_column(Text)
    #: The public development key (derived from a string in the repository): proves nothing.
    development: Mapped[bool] = mapped_column(server_default=false())
    registered_at: Mapped[datetime] = created_at_column()
