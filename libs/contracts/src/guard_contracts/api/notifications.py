"""REST shapes of ``/api/v1/notification-channels`` (docs/notifications.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guard_contracts.enums import Category, Severity
from guard_contracts.notifications import (
    ChangeKind,
    ChannelKind,
    ChannelName,
    ChannelStatus,
    ChannelUrl,
    DeliveryKind,
    DeliveryStatus,
)


class ChannelCreate(BaseModel):
    """The body of ``POST /api/v1/notification-channels``."""

    model_config = ConfigDict(extra="forbid")

    name: ChannelName
    kind: ChannelKind = Field(description="`webhook` (signed JSON) or `slack` (incoming webhook).")
    url: ChannelUrl = Field(description="https outside development; never a private address.")
    change_types: list[ChangeKind] = Field(
        default_factory=list, max_length=len(ChangeKind), description="Empty = every change type."
    )
    min_severity: Severity | None = Field(default=None, description="Empty = every severity.")
    categories: list[Category] = Field(
        default_factory=list, max_length=len(Category), description="Empty = every category."
    )


class ChannelLinks(BaseModel):
    self: str
    deliveries: str
    test: str


class ChannelAccepted(BaseModel):
    """202 answer to a create: the only time the signing secret is shown."""

    channel_id: uuid.UUID
    command_id: uuid.UUID
    status: str = Field(description="`pending` until the notifier has applied the command.")
    secret: str = Field(
        description="Standard Webhooks secret (`whsec_…`) to verify deliveries; shown only once."
    )
    links: ChannelLinks


class ChannelCommandAccepted(BaseModel):
    """202 answer to a delete or a test."""

    channel_id: uuid.UUID
    command_id: uuid.UUID
    delivery_id: uuid.UUID | None = Field(
        default=None, description="For a test: the `webhook-id` the test message will carry."
    )


class ChannelPublic(BaseModel):
    """A channel as the console sees it; never its secret."""

    model_config = ConfigDict(from_attributes=True)

    channel_id: uuid.UUID
    name: str
    kind: ChannelKind
    url: str
    status: ChannelStatus
    disabled_reason: str | None = None
    change_types: list[ChangeKind]
    min_severity: Severity | None = None
    categories: list[Category]
    created_by: str
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = None
    links: ChannelLinks


class ChannelList(BaseModel):
    items: list[ChannelPublic]
    total: int


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    delivery_id: uuid.UUID = Field(description="Also the `webhook-id` header of every attempt.")
    kind: DeliveryKind
    status: DeliveryStatus
    change_type: ChangeKind | None = None
    incident_id: uuid.UUID | None = None
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None


class DeliveryList(BaseModel):
    items: list[DeliveryPublic] = Field(description="Newest first.")
    total: int
