"""Incident reads (SQL only; every query is filtered by tenant)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow, field_names
from guard_storage.models.ingest import Incident

_T = Incident.__table__
_SUMMARY_COLS = [_T.c[name] for name in field_names(IncidentSummaryRow)]
_DETAIL_COLS = [_T.c[name] for name in field_names(IncidentRow)]
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


def _where(f: IncidentFilter) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [_T.c.tenant_id == f.tenant_id]
    if f.states:
        clauses.append(_T.c.lifecycle_state.in_(f.states))
    for column, value in (
        ("severity", f.severity),
        ("category", f.category),
        ("cause_type", f.cause_type),
        ("is_synthetic", f.is_synthetic),
    ):
        if value is not None:
            clauses.append(_T.c[column] == value)
    if f.created_after is not None:
        clauses.append(_T.c.created_at >= f.created_after)
    if f.created_before is not None:
        clauses.append(_T.c.created_at < f.created_before)
    if f.resolved_after is not None:
        clauses.append(_T.c.resolved_at >= f.resolved_after)
    if f.resolved_before is not None:
        clauses.append(_T.c.resolved_at < f.resolved_before)
    return and_(*clauses)


def _order(terms: Sequence[OrderBy]) -> list[Any]:
    result = []
    for term in terms:
        column: Any = _T.c[term.column]
        if term.rank is not None:
            column = case(dict(term.rank), value=column, else_=-1)
        ordered = column.desc() if term.descending else column.asc()
        result.append(ordered.nulls_last())
    return result


def _rows(row_type: type[R], result: Any) -> list[R]:
    return [row_type(**row) for row in result.mappings()]


class IncidentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(
        self, where: IncidentFilter, order: Sequence[OrderBy], limit: int, offset: int
    ) -> tuple[list[IncidentSummaryRow], int]:
        """One page and the total matching count."""
        condition = _where(where)
        query = (
            select(*_SUMMARY_COLS)
            .where(condition)
            .order_by(*_order(order))
            .limit(limit)
            .offset(offset)
        )
        items = _rows(IncidentSummaryRow, await self._conn.execute(query))
        if len(items) < limit and (items or offset == 0):
            return items, offset + len(items)  # the last page tells the total: no count needed
        total = await self._conn.scalar(select(func.count()).select_from(_T).where(condition))
        return items, int(total or 0)

    async def get(self, tenant_id: str, incident_id: UUID) -> IncidentRow | None:
        query = select(*_DETAIL_COLS).where(
            _T.c.incident_id == incident_id, _T.c.tenant_id == tenant_id
        )
        rows = _rows(IncidentRow, await self._conn.execute(query))
        return rows[0] if rows else None

    async def state_of(self, tenant_id: str, incident_id: UUID) -> str | None:
        query = select(_T.c.lifecycle_state).where(
            _T.c.incident_id == incident_id, _T.c.tenant_id == tenant_id
        )
        state = await self._conn.scalar(query)
        return str(state) if state is not None else None

    async def by_run(
        self, tenant_id: str, run_id: str, limit: int
    ) -> tuple[list[IncidentSummaryRow], int]:
        condition = and_(_T.c.tenant_id == tenant_id, _T.c.llm_run_id == run_id)
        query = (
            select(*_SUMMARY_COLS)
            .where(condition)
            .order_by(_T.c.created_at.desc(), _T.c.incident_id.desc())
            .limit(limit)
        )
        items = _rows(IncidentSummaryRow, await self._conn.execute(query))
        if len(items) < limit:
            return items, len(items)
        total = await self._conn.scalar(select(func.count()).select_from(_T).where(condition))
        return items, int(total or 0)

    async def related(
        self, tenant_id: str, incident_id: UUID, run_id: str | None, fingerprint: str, limit: int
    ) -> list[IncidentSummaryRow]:
        """Other incidents of the same run or fingerprint, newest first."""
        same: ColumnElement[bool] = _T.c.fingerprint == fingerprint
        if run_id is not None:
            same = or_(same, _T.c.llm_run_id == run_id)
        query = (
            select(*_SUMMARY_COLS)
            .where(_T.c.tenant_id == tenant_id, _T.c.incident_id != incident_id, same)
            .order_by(_T.c.created_at.desc(), _T.c.incident_id.desc())
            .limit(limit)
        )
        return _rows(IncidentSummaryRow, await self._conn.execute(query))

    async def resolved_like(
        self, tenant_id: str, incident_id: UUID, column: str, value: str, limit: int
    ) -> list[IncidentRow]:
        """Resolved incidents sharing ``column`` (fingerprint or category), latest resolved first."""
        query = (
            select(*_DETAIL_COLS)
            .where(
                _T.c.tenant_id == tenant_id,
                _T.c.incident_id != incident_id,
                _T.c[column] == value,
                _T.c.lifecycle_state == "RESOLVED",
            )
            .order_by(_T.c.resolved_at.desc(), _T.c.incident_id.desc())
            .limit(limit)
        )
        return _rows(IncidentRow, await self._conn.execute(query))
