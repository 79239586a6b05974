"""Query parameters of the incident lists (SPEC §6), each with its bounds and default.

The dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
thread pool, which costs more than the work they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from guard_api.adapters.ports import ListQuery
from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Category, CauseType, Severity

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


def _utc(value: datetime) -> datetime:
    """Naive times are read as UTC; aware ones are converted."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of the representable range") from None


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–100.")] = 20,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Items to skip, 0–1,000,000.")
    ] = 0,
) -> Paging:
    return Paging(limit, offset)


@dataclass(frozen=True, slots=True)
class Filters:
    severity: Severity | None
    category: Category | None
    cause_type: CauseType | None


async def filters(
    severity: Annotated[Severity | None, Query(description="Only this severity.")] = None,
    category: Annotated[Category | None, Query(description="Only this category.")] = None,
    cause_type: Annotated[CauseType | None, Query(description="Only this cause type.")] = None,
) -> Filters:
    return Filters(severity, category, cause_type)


@dataclass(frozen=True, slots=True)
class CreatedWindow:
    is_synthetic: bool | None
    created_after: datetime | None
    created_before: datetime | None


async def created_window(
    is_synthetic: Annotated[
        bool | None, Query(description="Only synthetic (or real) incidents.")
    ] = None,
    created_after: Annotated[
        UtcDateTime | None, Query(description="created_at ≥ this (ISO 8601; naive = UTC).")
    ] = None,
    created_before: Annotated[
        UtcDateTime | None, Query(description="created_at < this (ISO 8601; naive = UTC).")
    ] = None,
) -> CreatedWindow:
    return CreatedWindow(is_synthetic, created_after, created_before)


@dataclass(frozen=True, slots=True)
class ResolvedWindow:
    resolved_after: datetime | None
    resolved_before: datetime | None


async def resolved_window(
    resolved_after: Annotated[
        UtcDateTime | None, Query(description="resolved_at ≥ this (ISO 8601; naive = UTC).")
    ] = None,
    resolved_before: Annotated[
        UtcDateTime | None, Query(description="resolved_at < this (ISO 8601; naive = UTC).")
    ] = None,
) -> ResolvedWindow:
    return ResolvedWindow(resolved_after, resolved_before)


@dataclass(frozen=True, slots=True)
class Sort:
    sort_by: SortField
    sort_order: SortOrder


_ORDER_DOC = "asc or desc; severity sorts by rank (critical highest); ties by incident_id."


async def sort_by_created(
    sort_by: Annotated[SortField, Query(description="Sort field.")] = SortField.CREATED_AT,
    sort_order: Annotated[SortOrder, Query(description=_ORDER_DOC)] = SortOrder.DESC,
) -> Sort:
    return Sort(sort_by, sort_order)


async def sort_by_resolved(
    sort_by: Annotated[SortField, Query(description="Sort field.")] = SortField.RESOLVED_AT,
    sort_order: Annotated[SortOrder, Query(description=_ORDER_DOC)] = SortOrder.DESC,
) -> Sort:
    return Sort(sort_by, sort_order)


def list_query(
    sort: Sort,
    page: Paging,
    base: Filters,
    created: CreatedWindow | None = None,
    resolved: ResolvedWindow | None = None,
) -> ListQuery:
    return ListQuery(
        sort_by=sort.sort_by,
        sort_order=sort.sort_order,
        limit=page.limit,
        offset=page.offset,
        severity=base.severity,
        category=base.category,
        cause_type=base.cause_type,
        is_synthetic=created.is_synthetic if created else None,
        created_after=created.created_after if created else None,
        created_before=created.created_before if created else None,
        resolved_after=resolved.resolved_after if resolved else None,
        resolved_before=resolved.resolved_before if resolved else None,
    )


PagingDep = Annotated[Paging, Depends(paging)]
FiltersDep = Annotated[Filters, Depends(filters)]
CreatedDep = Annotated[CreatedWindow, Depends(created_window)]
ResolvedDep = Annotated[ResolvedWindow, Depends(resolved_window)]
SortCreatedDep = Annotated[Sort, Depends(sort_by_created)]
SortResolvedDep = Annotated[Sort, Depends(sort_by_resolved)]


def _rfc3339_not_number(value: object) -> object:
    # Pydantic reads a bare number as a unix timestamp; the documented format is RFC 3339.
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("must be an RFC 3339 timestamp with an offset, not a number")
    return value


#: A fixed "now" for the analytics and cost endpoints, so their answers are reproducible.
Now = Annotated[
    AwareDatetime | None,
    BeforeValidator(_rfc3339_not_number),
    Query(
        description="Fixed 'now' (RFC 3339 with offset, years 1971-9997; else 422) "
        "for a reproducible answer."
    ),
]
