"""Sort orders of incident lists (docs/product/rest-api.md): severity by rank, ties broken by incident_id.

The SQL driver and the in-memory :func:`sort_key` follow the same :func:`order_terms`, so a test
can check that what Postgres returns is what this rule says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from guard_contracts.api.query import SortField, SortOrder
from guard_contracts.enums import Severity

#: severity value -> rank (low 0 … critical 3); the driver turns it into a CASE expression.
SEVERITY_RANK: Mapping[str, int] = {s.value: s.rank for s in Severity}


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """One ORDER BY term: a column, its direction, and an optional value → rank mapping.

    Nulls always sort last, whatever the direction, so unresolved incidents never lead a
    ``resolved_at`` ordering.
    """

    column: str
    descending: bool
    rank: Mapping[str, int] | None = None


def order_terms(sort_by: SortField, order: SortOrder) -> tuple[OrderTerm, ...]:
    descending = order is SortOrder.DESC
    rank = SEVERITY_RANK if sort_by is SortField.SEVERITY else None
    # The tie-breaker runs in the same direction so an index can serve the whole ordering.
    return (OrderTerm(sort_by.value, descending, rank), OrderTerm("incident_id", descending))


class Sortable(Protocol):
    @property
    def incident_id(self) -> UUID: ...
    @property
    def severity(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...


S = TypeVar("S", bound=Sortable)


def sort_incidents(items: Sequence[S], sort_by: SortField, order: SortOrder) -> list[S]:
    """The same order as the SQL the driver emits for :func:`order_terms` (nulls last)."""
    terms = order_terms(sort_by, order)
    descending = order is SortOrder.DESC
    return sorted(
        items, key=lambda item: tuple(_key(item, t, descending) for t in terms), reverse=descending
    )


def _key(item: Sortable, term: OrderTerm, descending: bool) -> tuple[bool, Any]:
    value = getattr(item, term.column)
    if value is None:
        # (False, …) sorts first; with reverse=True that puts nulls last, as in SQL NULLS LAST.
        return (not descending, 0)
    return (descending, term.rank[value] if term.rank is not None else value)
