"""Learnings of an incident (docs/product/analytics.md#learnings)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

from guard_contracts.enums import Category, ResolutionMethod, Severity

#: A confidence in [0, 1] with 2 decimals, a JSON number.
Confidence = Annotated[
    Decimal, PlainSerializer(lambda d: float(d), return_type=float, when_used="json")
]


class ResolutionSummary(BaseModel):
    resolution_method: ResolutionMethod | None
    resolved_at: datetime
    resolved_by: str | None
    time_to_resolution_ms: int
    evidence_count: int = Field(description="Events attached to the incident.")
    recovery_attempted: bool = Field(description="Resolved by a killswitch release or a rollback.")


class SimilarMatch(StrEnum):
    FINGERPRINT = "fingerprint"
    CATEGORY = "category"


class SimilarIncident(BaseModel):
    incident_id: uuid.UUID
    title: str
    severity: Severity
    category: Category
    match: SimilarMatch
    resolution_method: ResolutionMethod | None
    resolved_at: datetime
    time_to_resolution_ms: int


class InsightType(StrEnum):
    RESPONSE = "response"
    PREVENTION = "prevention"
    DETECTION = "detection"


class Insight(BaseModel):
    insight_type: InsightType
    message: str
    confidence: Confidence = Field(description="0–1, 2 decimals.")
    supporting_incidents: int


class Learnings(BaseModel):
    incident_id: uuid.UUID
    resolution_summary: ResolutionSummary | None = Field(description="Null until resolved.")
    similar_incidents: list[SimilarIncident] = Field(
        description="Up to 5 resolved incidents: same fingerprint first, then same category."
    )
    insights: list[Insight]
