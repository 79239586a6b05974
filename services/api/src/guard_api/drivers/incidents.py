"""Incident reads (SQL only; every query is filtered by tenant), on a plain asyncpg connection.

Column lists come from the storage model, so a renamed column fails at import, not at runtime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import asyncpg

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow, field_names
from guard_storage.models.ingest import Incident

_T = Incident.__table__
_SUMMARY = ", ".join(_T.c[name].name for name in field_names(IncidentSummaryRow))
_DETAIL = ", ".join(_T.c[name].name for name in field_names(IncidentRow))
_SORTABLE = frozenset({"created_at", "resolved_at", "severity", "incident_id"})
_FILTER_COLUMNS = ("severity", "category", "cause_type", "is_synthetic")
R = TypeVar("R")


class OrderBy(Protocol):
    """One ORDER BY term (the engines' ``OrderTerm`` satisfies it)."""

    @property
    def column(self) -> str: ...
    @property
    def descending(self) -> bool: ...
    @property
    def rank(self) -> Mapping[str, int] | None: ...


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    tenant_id: str
    states: tuple[str, ...] = ()
    severity: str | None = None
    category: str | None = None
    cause_type: str | None = None
    is_synthetic: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None


def _where(f: IncidentFilter) -> tuple[str, list[Any]]:
    args: list[Any] = [f.tenant_id]
    clauses = ["tenant_id = $1"]

    def add(template: str, value: Any) -> None:
        args.append(value)
        clauses.append(template.format(f"${len(args)}"))

    if f.states:
        # Literal states (a closed vocabulary): an IN list lets the planner use the partial
        # indexes on open incidents, which ``= ANY($n)`` would not.
        states = ", ".join(f"'{s}'" for s in f.states if s in ("ACTIVE", "ACKED", "RESOLVED"))
        clauses.append(f"lifecycle_state IN ({states})")
    for column in _FILTER_COLUMNS:
        value = getattr(f, column)
        if value is not None:
            add(f"{column} = {{}}", value)
    for column, op, value in (
        ("created_at", ">=", f.created_after),
        ("created_at", "<", f.created_before),
        ("resolved_at", ">=", f.resolved_after),
        ("resolved_at", "<", f.resolved_before),
    ):
        if value is not None:
            add(f"{column} {op} {{}}", value)
    return " AND ".join(clauses), args


def _order(terms: Sequence[OrderBy]) -> str:
    parts = []
    for term in terms:
        if term.column not in _SORTABLE:
            raise ValueError(f"cannot sort by {term.column!r}")
        expression = term.column
        if term.rank is not None:
            cases = " ".join(f"WHEN '{value}' THEN {rank:d}" for value, rank in term.rank.items())
            expression = f"CASE {term.column} {cases} ELSE -1 END"
        direction = "DESC" if term.descending else "ASC"
        # NULLS LAST only where nulls can occur: on a NOT NULL column it would stop Postgres
        # from reading the (tenant, …, created_at, incident_id) indexes backwards.
        nulls = " NULLS LAST" if _T.c[term.column].nullable else ""
        parts.append(f"{expression} {direction}{nulls}")
    return ", ".join(parts)


def _rows(row_type: type[R], records: list[asyncpg.Record]) -> list[R]:
    return [row_type(**dict(record.items())) for record in records]


class IncidentRepository:
    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = conn

    async def page(
        self, where: IncidentFilter, order: Sequence[OrderBy], limit: int, offset: int
    ) -> tuple[list[IncidentSummaryRow], int]:
        """One page and the total matching count."""
        condition, args = _where(where)
        n = len(args)
        records = await self._conn.fetch(
            f"SELECT {_SUMMARY} FROM incidents WHERE {condition} ORDER BY {_order(order)}"
            f" LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            limit,
            offset,
        )
        items = _rows(IncidentSummaryRow, records)
        if len(items) < limit and (items or offset == 0):
            return items, offset + len(items)  # the last page tells the total: no count needed
        total = await self._conn.fetchval(
            f"SELECT count(*) FROM incidents WHERE {condition}", *args
        )
        return items, int(total)

    async def get(self, tenant_id: str, incident_id: UUID) -> IncidentRow | None:
        record = await self._conn.fetchrow(
            f"SELECT {_DETAIL} FROM incidents WHERE incident_id = $1 AND tenant_id = $2",
            incident_id,
            tenant_id,
        )
        return IncidentRow(**dict(record.items())) if record is not None else None

    async def state_of(self, tenant_id: str, incident_id: UUID) -> str | None:
        state = await self._conn.fetchval(
            "SELECT lifecycle_state FROM incidents WHERE incident_id = $1 AND tenant_id = $2",
            incident_id,
            tenant_id,
        )
        return str(state) if state is not None else None

    async def by_run(
        self, tenant_id: str, run_id: str, limit: int
    ) -> tuple[list[IncidentSummaryRow], int]:
        records = await self._conn.fetch(
            f"SELECT {_SUMMARY} FROM incidents WHERE tenant_id = $1 AND llm_run_id = $2"
            " ORDER BY created_at DESC, incident_id DESC LIMIT $3",
            tenant_id,
            run_id,
            limit,
        )
        items = _rows(IncidentSummaryRow, records)
        if len(items) < limit:
            return items, len(items)
        total = await self._conn.fetchval(
            "SELECT count(*) FROM incidents WHERE tenant_id = $1 AND llm_run_id = $2",
            tenant_id,
            run_id,
        )
        return items, int(total)

    async def related(
        self, tenant_id: str, incident_id: UUID, run_id: str | None, fingerprint: str, limit: int
    ) -> list[IncidentSummaryRow]:
        """Other incidents of the same run or fingerprint, newest first."""
        args: list[Any] = [tenant_id, incident_id, limit, fingerprint]
        same = "fingerprint = $4"
        if run_id is not None:
            args.append(run_id)
            same = "(fingerprint = $4 OR llm_run_id = $5)"
        records = await self._conn.fetch(
            f"SELECT {_SUMMARY} FROM incidents WHERE tenant_id = $1 AND incident_id <> $2"
            f" AND {same} ORDER BY created_at DESC, incident_id DESC LIMIT $3",
            *args,
        )
        return _rows(IncidentSummaryRow, records)

    async def resolved_like(
        self, tenant_id: str, incident_id: UUID, column: str, value: str, limit: int
    ) -> list[IncidentRow]:
        """Resolved incidents sharing ``column`` (fingerprint or category), latest resolved first."""
        if column not in ("fingerprint", "category"):
            raise ValueError(f"cannot match on {column!r}")
        records = await self._conn.fetch(
            f"SELECT {_DETAIL} FROM incidents WHERE tenant_id = $1 AND incident_id <> $2"
            f" AND {column} = $3 AND lifecycle_state = 'RESOLVED'"
            " ORDER BY resolved_at DESC, incident_id DESC LIMIT $4",
            tenant_id,
            incident_id,
            value,
            limit,
        )
        return _rows(IncidentRow, records)
