"""Query parameters of the incident lists (docs/product/rest-api.md), each with its bounds and default.

The dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
thread pool, which costs more than the work they do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BeforeValidator, WithJsonSchema

from guard_api.adapters.ports import ListQuery
from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Category, CauseType, Severity

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 1_000_000


# RFC 3339 ``date-time`` (section 5.6) with an offset, as the published schema states it: the
# schema carries ``format: date-time`` plus this pattern, and validation applies the same pattern,
# so every value the schema admits is accepted and nothing else is (docs/api/README.md).
_TIME = (
    r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
#: Filters: any year 0001-9999.
ANY_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
#: ``now``: years 1972-9996, so the windows behind it (up to a year back, a month forward) and
#: any offset stay inside what the analytics can compute.
NOW_YEAR = r"(?:197[2-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-6])"
FILTER_PATTERN = f"^{ANY_YEAR}{_TIME}"
NOW_PATTERN = f"^{NOW_YEAR}{_TIME}"
_EXAMPLE = "2026-03-02T12:00:00Z"
_UTC_MIN = datetime.min.replace(tzinfo=UTC)
_UTC_MAX = datetime.max.replace(tzinfo=UTC)


def _rfc3339(pattern: str, years: str) -> Callable[[object], datetime | None]:
    compiled = re.compile(pattern)

    def parse(value: object) -> datetime | None:
        if value is None or isinstance(value, datetime):  # a default, or a direct call
            return value
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(
                f"must be an RFC 3339 date-time with an offset ({years}), e.g. {_EXAMPLE}"
            )
        try:
            parsed = datetime.fromisoformat(value.upper())  # 3.11 reads 't'/'z' only in capitals
        except ValueError:
            raise ValueError(f"is not a calendar date-time, e.g. {_EXAMPLE}") from None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # an offset carried it past year 1 or 9999: the edge of time
            return _UTC_MIN if parsed.year == 1 else _UTC_MAX

    return parse


#: Parses a filter bound (ValueError if it is not one); shared with the fast lane.
parse_filter_time = _rfc3339(FILTER_PATTERN, "years 0001-9999")
#: Parses ``now`` (ValueError if it is not one); shared with the fast lane.
parse_now = _rfc3339(NOW_PATTERN, "years 1972-9996")


@dataclass(frozen=True, slots=True)
class IntRange:
    """An integer query parameter's bounds and default. Its route declares ``Query(ge=low,
    le=high)`` from it and the fast lane (``fast_plans``) parses with the same numbers."""

    low: int
    high: int
    default: int

    def query(self, description: str | None = None) -> Any:
        return Query(ge=self.low, le=self.high, description=description)


#: A filter bound: RFC 3339 with an offset, converted to UTC.
UtcDateTime = Annotated[
    datetime,
    BeforeValidator(parse_filter_time),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": FILTER_PATTERN, "examples": [_EXAMPLE]}
    ),
]


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
        {"type": "string", "format": "date-time", "pattern": NOW_PATTERN, "examples": [_EXAMPLE]}
    ),
    Query(
        description="Fixed 'now' for a reproducible answer: RFC 3339 with an offset, "
        "years 1972-9996 (anything else: 422)."
    ),
]
