"""Incident reads (every query is filtered by tenant), as SQLAlchemy Core on the request's connection.

Column lists come from the row dataclasses and the storage table, so a renamed column fails at
import, not at runtime.

The three hottest reads (a list page, a run's incidents, one incident) compile their statement
once per shape to asyncpg's SQL and run it on the pooled connection's asyncpg connection: rows
come back as asyncpg records, without SQLAlchemy's per-execution compile-cache lookup, parameter
processing and result wrapping (about a third of a cached read's Python; bench/api/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from uuid import UUID

from asyncpg import Record
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow, field_names
from guard_storage.models.ingest import Incident

_T = Incident.__table__
_SUMMARY_NAMES = field_names(IncidentSummaryRow)
_SUMMARY = [_T.c[name] for name in _SUMMARY_NAMES]
_DETAIL = [_T.c[name] for name in field_names(IncidentRow)]
#: Sort keys a list may be ordered by -> the column behind each.
_SORTABLE: dict[str, ColumnElement[Any]] = {
    name: _T.c[name] for name in ("created_at", "resolved_at", "severity", "incident_id")
}
_FILTER_COLUMNS = ("severity", "category", "cause_type", "is_synthetic")
_STATES = ("ACTIVE", "ACKED", "RESOLVED")
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


#: Range filters: field of IncidentFilter -> (column, operator).
_RANGES: dict[str, tuple[str, str]] = {
    "created_after": ("created_at", ">="),
    "created_before": ("created_at", "<"),
    "resolved_after": ("resolved_at", ">="),
    "resolved_before": ("resolved_at", "<"),
}
#: (states, filters present, order) -> statement with bind parameters; built once per shape.
_Shape = tuple[
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[str, bool, tuple[tuple[str, int], ...] | None], ...],
]


def _where(states: tuple[str, ...], present: tuple[str, ...]) -> ColumnElement[bool]:
    """The condition for these filters, every value a bind parameter named after its field."""
    clauses: list[ColumnElement[bool]] = [_T.c.tenant_id == bindparam("tenant_id")]
    if states:
        # Rendered as literals (a closed vocabulary, checked against _STATES): an IN list of
        # constants lets the planner use the partial indexes on open incidents even with a
        # generic prepared plan.
        assert set(states) <= set(_STATES)
        clauses.append(_T.c.lifecycle_state.in_([literal_column(f"'{s}'") for s in states]))
    for name in present:
        if name in _RANGES:
            column, op = _RANGES[name]
            value = bindparam(name, type_=_T.c[column].type)
            clauses.append(_T.c[column] >= value if op == ">=" else _T.c[column] < value)
        else:
            clauses.append(_T.c[name] == bindparam(name, type_=_T.c[name].type))
    return and_(*clauses)


def _filter_values(f: IncidentFilter) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Any]]:
    values: dict[str, Any] = {"tenant_id": f.tenant_id}
    states = tuple(s for s in _STATES if s in f.states)
    for name in (*_FILTER_COLUMNS, *_RANGES):
        value = getattr(f, name)
        if value is not None:
            values[name] = value
    present = tuple(n for n in values if n != "tenant_id")
    return states, present, values


@dataclass(frozen=True, slots=True)
class _Sql:
    """A statement compiled for asyncpg: its text, its bind parameters in ``$n`` order, and the
    values of those that carry their own (constants such as the severity ranks)."""

    text: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        constants = self.constants
        return [values[n] if n in values else constants[n] for n in self.names]


_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


def _compile(statement: Select[Any]) -> _Sql:
    compiled = statement.compile(dialect=_DIALECT)
    constants = {k: v for k, v in compiled.params.items() if v is not None}
    return _Sql(compiled.string, tuple(compiled.positiontup or ()), constants)


@lru_cache(maxsize=512)
def _page_statement(shape: _Shape) -> _Sql:
    states, present, order = shape
    terms = [
        _Term(column, descending, dict(rank) if rank else None)
        for column, descending, rank in order
    ]
    where = _where(states, present)
    # The total as a scalar subquery: PostgreSQL counts it once from the index alone, where a
    # window count(*) OVER () reads every matching row (10x slower for a large tenant).
    total = select(func.count()).select_from(_T).where(where).correlate(None).scalar_subquery()
    return _compile(
        select(*_SUMMARY, total.label("total"))
        .where(where)
        .order_by(*_order(terms))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@lru_cache(maxsize=512)
def _count_statement(states: tuple[str, ...], present: tuple[str, ...]) -> _Sql:
    return _compile(select(func.count()).select_from(_T).where(_where(states, present)))


@dataclass(frozen=True, slots=True)
class _Term:
    column: str
    descending: bool
    rank: Mapping[str, int] | None


# Built once: a statement object carries its SQLAlchemy cache key, so reusing it halves the
# per-execution cost against building it per request (bench notes in docs/operations-gateway.md).
_GET = select(*_DETAIL).where(
    _T.c.incident_id == bindparam("incident_id"), _T.c.tenant_id == bindparam("tenant_id")
)
_STATE_OF = select(_T.c.lifecycle_state).where(
    _T.c.incident_id == bindparam("incident_id"), _T.c.tenant_id == bindparam("tenant_id")
)
_BY_RUN = _compile(
    select(*_SUMMARY, func.count().over().label("total"))
    .where(_T.c.tenant_id == bindparam("tenant_id"), _T.c.llm_run_id == bindparam("run_id"))
    .order_by(_T.c.created_at.desc(), _T.c.incident_id.desc())
    .limit(bindparam("limit"))
)
_GET_SQL = _compile(_GET)


def _order(terms: Sequence[OrderBy]) -> list[ColumnElement[Any]]:
    parts: list[ColumnElement[Any]] = []
    for term in terms:
        column = _SORTABLE.get(term.column)
        if column is None:
            raise ValueError(f"cannot sort by {term.column!r}")
        expression: ColumnElement[Any] = column
        if term.rank is not None:
            expression = case(dict(term.rank), value=column, else_=-1)
        ordered = expression.desc() if term.descending else expression.asc()
        # NULLS LAST only where nulls can occur: on a NOT NULL column it would stop Postgres
        # from reading the (tenant, …, created_at, incident_id) indexes backwards.
        parts.append(ordered.nulls_last() if _T.c[term.column].nullable else ordered)
    return parts


def _rows(row_type: type[R], records: Sequence[RowMapping]) -> list[R]:
    return [row_type(**record) for record in records]


class IncidentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _all(self, query: Select[Any]) -> Sequence[RowMapping]:
        rows: Sequence[RowMapping] = (await self._conn.execute(query)).mappings().all()
        return rows

    async def _fetch(self, sql: _Sql, values: Mapping[str, Any]) -> list[Record]:
        """``sql`` on the request's pooled connection, straight through asyncpg."""
        raw = (await self._conn.get_raw_connection()).driver_connection
        assert raw is not None
        records: list[Record] = await raw.fetch(sql.text, *sql.args(values))
        return records

    async def page(
        self, where: IncidentFilter, order: Sequence[OrderBy], limit: int, offset: int
    ) -> tuple[list[Record], int]:
        """One page (summary columns, money in micros) and the total matching count, in one
        statement."""
        states, present, values = _filter_values(where)
        shape: _Shape = (
            states,
            present,
            tuple(
                (t.column, t.descending, tuple(sorted(t.rank.items())) if t.rank else None)
                for t in order
            ),
        )
        records = await self._fetch(
            _page_statement(shape), {**values, "limit": limit, "offset": offset}
        )
        if not records:
            # Past the end (or nothing matches): only then does the total need its own count.
            if not offset:
                return [], 0
            total = await self._fetch(_count_statement(states, present), values)
            return [], int(total[0][0])
        return records, int(records[0]["total"])

    async def get(self, tenant_id: str, incident_id: UUID) -> IncidentRow | None:
        record = await self.get_record(tenant_id, incident_id)
        return IncidentRow(**record) if record is not None else None

    async def get_record(self, tenant_id: str, incident_id: UUID) -> Record | None:
        """Every column of the detail (money in micros), in :class:`IncidentRow` order."""
        params = {"incident_id": incident_id, "tenant_id": tenant_id}
        records = await self._fetch(_GET_SQL, params)
        return records[0] if records else None

    async def state_of(self, tenant_id: str, incident_id: UUID) -> str | None:
        params = {"incident_id": incident_id, "tenant_id": tenant_id}
        state = await self._conn.scalar(_STATE_OF, params)
        return str(state) if state is not None else None

    async def by_run(self, tenant_id: str, run_id: str, limit: int) -> tuple[list[Record], int]:
        """A run's incidents, newest first (summary columns), and how many it has."""
        params = {"tenant_id": tenant_id, "run_id": run_id, "limit": limit}
        records = await self._fetch(_BY_RUN, params)
        if not records:
            return [], 0
        return records, int(records[0]["total"])

    async def related(
        self, tenant_id: str, incident_id: UUID, run_id: str | None, fingerprint: str, limit: int
    ) -> list[IncidentSummaryRow]:
        """Other incidents of the same run or fingerprint, newest first."""
        same: ColumnElement[bool] = _T.c.fingerprint == fingerprint
        if run_id is not None:
            same = or_(same, _T.c.llm_run_id == run_id)
        query = (
            select(*_SUMMARY)
            .where(_T.c.tenant_id == tenant_id, _T.c.incident_id != incident_id, same)
            .order_by(_T.c.created_at.desc(), _T.c.incident_id.desc())
            .limit(limit)
        )
        return _rows(IncidentSummaryRow, await self._all(query))

    async def resolved_like(
        self, tenant_id: str, incident_id: UUID, column: str, value: str, limit: int
    ) -> list[IncidentRow]:
        """Resolved incidents sharing ``column`` (fingerprint or category), latest resolved first."""
        if column not in ("fingerprint", "category"):
            raise ValueError(f"cannot match on {column!r}")
        query = (
            select(*_DETAIL)
            .where(
                _T.c.tenant_id == tenant_id,
                _T.c.incident_id != incident_id,
                _T.c[column] == value,
                _T.c.lifecycle_state == "RESOLVED",
            )
            .order_by(_T.c.resolved_at.desc(), _T.c.incident_id.desc())
            .limit(limit)
        )
        return _rows(IncidentRow, await self._all(query))


def hot_statements() -> dict[str, tuple[str, Callable[[Mapping[str, Any]], list[Any]]]]:
    """The three hottest reads as this module issues them: name -> (SQL, arguments from named
    values). ``bench/api/run_bench.py`` runs them straight through asyncpg as its ceiling."""
    open_by_severity = _page_statement(
        (
            ("ACTIVE", "ACKED"),
            ("severity",),
            (("created_at", True, None), ("incident_id", True, None)),
        )
    )
    return {
        name: (sql.text, sql.args)
        for name, sql in (("active", open_by_severity), ("detail", _GET_SQL), ("by_run", _BY_RUN))
    }
