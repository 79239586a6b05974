"""Incident lists and detail (docs/product/rest-api.md): tenant scoping, filters_applied, pagination.

The lists and the detail are the hottest reads: their rows go straight to JSON bytes (``mapping``)
instead of through a pydantic model per item; the routes' ``response_model`` still documents the
shape, and tests hold the bytes to what the models would write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from guard_api.adapters.errors import NotFound
from guard_api.adapters.mapping import detail, detail_record_json, dumps, summary_record_json
from guard_api.adapters.ports import JsonDocument, ListQuery
from guard_api.drivers.incidents import IncidentFilter, IncidentRepository
from guard_api.engines.pagination import page
from guard_api.engines.sorting import order_terms
from guard_contracts.api.query import Topic
from guard_contracts.enums import OPEN_STATES, LifecycleState
from guard_contracts.incidents import IncidentDetail

RESOLVED_STATES = (LifecycleState.RESOLVED.value,)
#: /by-run answers without paging; a run holding more incidents than this shows the newest.
MAX_RUN_INCIDENTS = 500


_FILTER_FIELDS = (
    "severity",
    "category",
    "cause_type",
    "is_synthetic",
    "created_after",
    "created_before",
    "resolved_after",
    "resolved_before",
)


def _applied(tenant_id: str, query: ListQuery, **extra: Any) -> dict[str, Any]:
    applied: dict[str, Any] = {"tenant_id": tenant_id}
    for name in _FILTER_FIELDS:
        value = getattr(query, name)
        if value is not None:
            applied[name] = value.isoformat() if isinstance(value, datetime) else value
    applied.update({k: v for k, v in extra.items() if v is not None})
    return applied


def _filter(tenant_id: str, query: ListQuery, states: tuple[str, ...]) -> IncidentFilter:
    return IncidentFilter(
        tenant_id=tenant_id,
        states=states,
        **{name: getattr(query, name) for name in _FILTER_FIELDS},
    )


class IncidentQueries:
    def __init__(self, repository: IncidentRepository) -> None:
        self._repo = repository

    async def _page(
        self, where: IncidentFilter, query: ListQuery, applied: dict[str, Any]
    ) -> dict[str, Any]:
        """An ``IncidentList`` as a JSON-ready dict (rows are not turned into models)."""
        rows, total = await self._repo.page(
            where, order_terms(query.sort_by, query.sort_order), query.limit, query.offset
        )
        meta = page(total, query.offset, query.limit, len(rows))
        return {
            "items": [summary_record_json(r) for r in rows],
            "total": total,
            "has_more": meta.has_more,
            "filters_applied": applied,
            "pagination": {
                "limit": meta.limit,
                "offset": meta.offset,
                "next_offset": meta.next_offset,
            },
        }

    async def _list(
        self, where: IncidentFilter, query: ListQuery, applied: dict[str, Any]
    ) -> JsonDocument:
        return JsonDocument(dumps(await self._page(where, query, applied)))

    async def list_all(
        self, tenant_id: str, query: ListQuery, topic: Topic | None, state: LifecycleState | None
    ) -> JsonDocument:
        """The deprecated catch-all list: ``topic`` wins over ``lifecycle_state``."""
        states: tuple[str, ...]
        if topic is not None:
            states = OPEN_STATES if topic is Topic.ACTIVE else RESOLVED_STATES
            applied = _applied(tenant_id, query, topic=topic.value)
        else:
            states = (state.value,) if state is not None else ()
            applied = _applied(tenant_id, query, lifecycle_state=state.value if state else None)
        return await self._list(_filter(tenant_id, query, states), query, applied)

    async def active(self, tenant_id: str, query: ListQuery) -> JsonDocument:
        applied = _applied(tenant_id, query, topic=Topic.ACTIVE.value)
        return await self._list(_filter(tenant_id, query, OPEN_STATES), query, applied)

    async def resolved(self, tenant_id: str, query: ListQuery) -> JsonDocument:
        applied = _applied(tenant_id, query, topic=Topic.RESOLVED.value)
        return await self._list(_filter(tenant_id, query, RESOLVED_STATES), query, applied)

    async def historical(
        self, tenant_id: str, query: ListQuery, retention_days: int, now: datetime | None = None
    ) -> JsonDocument:
        """Resolved incidents whose resolved_at is older than now − retention_days."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
        query = replace(query, resolved_before=cutoff)
        applied = _applied(
            tenant_id, query, topic=Topic.RESOLVED.value, retention_days=retention_days
        )
        listed = await self._page(_filter(tenant_id, query, RESOLVED_STATES), query, applied)
        return JsonDocument(dumps({**listed, "cutoff_date": cutoff}))

    async def by_run(self, tenant_id: str, run_id: str) -> JsonDocument:
        rows, total = await self._repo.by_run(tenant_id, run_id, MAX_RUN_INCIDENTS)
        items = [summary_record_json(r) for r in rows]
        document = {"run_id": run_id, "incidents": items, "total": total}
        return JsonDocument(dumps(document))

    async def detail(self, tenant_id: str, incident_id: UUID) -> IncidentDetail:
        row = await self._repo.get(tenant_id, incident_id)
        if row is None:
            # Another tenant's incident answers exactly like a missing one (docs/product/auth.md).
            raise NotFound("incident")
        return detail(row)

    async def detail_json(self, tenant_id: str, incident_id: UUID) -> JsonDocument:
        """:meth:`detail` serialised straight from the row (the model is not built)."""
        record = await self._repo.get_record(tenant_id, incident_id)
        if record is None:
            raise NotFound("incident")
        return JsonDocument(dumps(detail_record_json(record)))
