"""Query parameters of the incident lists (docs/product/rest-api.md), each with its bounds and default.

The dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
thread pool, which costs more than the work they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BeforeValidator, WithJsonSchema

from guard_api.adapters.ports import ListQuery
from guard_api.adapters.rfc3339 import EXAMPLE, NOW_PATTERN, UtcDateTime, parse_now
from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Category, CauseType, Severity

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class IntRange:
    """An integer query parameter's bounds and default. Its route declares ``Query(ge=low,
    le=high)`` from it and the fast lane (``fast_plans``) parses with the same numbers."""

    low: int
    high: int
    default: int

    def query(self, description: str | None = None) -> Any:
        return Query(ge=self.low, le=self.high, description=description)


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–100.")
    ] = DEFAULT_LIMIT,
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
        UtcDateTime | None, Query(description="created_at ≥ this (RFC 3339 with offset).")
    ] = None,
    created_before: Annotated[
        UtcDateTime | None, Query(description="created_at < this (RFC 3339 with offset).")
    ] = None,
) -> CreatedWindow:
    return CreatedWindow(is_synthetic, created_after, created_before)


@dataclass(frozen=True, slots=True)
class ResolvedWindow:
    resolved_after: datetime | None
    resolved_before: datetime | None


async def resolved_window(
    resolved_after: Annotated[
        UtcDateTime | None, Query(description="resolved_at ≥ this (RFC 3339 with offset).")
    ] = None,
    resolved_before: Annotated[
        UtcDateTime | None, Query(description="resolved_at < this (RFC 3339 with offset).")
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


#: A fixed "now" for the analytics and cost endpoints, so their answers are reproducible.
Now = Annotated[
    datetime | None,
    BeforeValidator(parse_now),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": NOW_PATTERN, "examples": [EXAMPLE]}
    ),
    Query(
        description="Fixed 'now' for a reproducible answer: RFC 3339 with an offset, "
        "years 1972-9996 (anything else: 422)."
    ),
]
