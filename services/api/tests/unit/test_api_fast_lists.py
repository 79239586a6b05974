"""The hot lists serialise rows straight to JSON bytes; they must say exactly what the read models
(the routes' response_model, hence OpenAPI) would say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_api.adapters.mapping import dumps, summary, summary_json
from guard_api.drivers.rows import IncidentSummaryRow
from guard_contracts.api.common import HistoricalIncidentList, IncidentList, Pagination
from guard_contracts.incidents import IncidentSummary

from .incident_rows import summary_rows


@settings(derandomize=True, max_examples=300)
@given(row=summary_rows)
def test_a_row_reads_as_its_model_would_write_it(row: IncidentSummaryRow) -> None:
    fast = dumps(summary_json(row))
    model = summary(row)
    assert json.loads(fast) == json.loads(model.model_dump_json())
    assert IncidentSummary.model_validate_json(fast) == model


@settings(derandomize=True, max_examples=50)
@given(items=st.lists(summary_rows, max_size=5), total=st.integers(0, 1000))
def test_a_page_reads_as_the_list_models_would_write_it(
    items: list[IncidentSummaryRow], total: int
) -> None:
    cutoff = datetime(2026, 3, 2, 12, 0, tzinfo=UTC) - timedelta(days=30)
    applied = {"tenant_id": "tenant-a", "created_after": "2026-03-01T00:00:00+00:00"}
    pagination = {"limit": 20, "offset": 0, "next_offset": None}
    document = {
        "items": [summary_json(r) for r in items],
        "total": total,
        "has_more": False,
        "filters_applied": applied,
        "pagination": pagination,
        "cutoff_date": cutoff,
    }
    model = HistoricalIncidentList(
        items=[summary(r) for r in items],
        total=total,
        has_more=False,
        filters_applied=applied,
        pagination=Pagination(**pagination),
        cutoff_date=cutoff,
    )
    fast = dumps(document)
    assert json.loads(fast) == json.loads(model.model_dump_json())
    assert HistoricalIncidentList.model_validate_json(fast) == model
    assert IncidentList.model_validate_json(fast).items == model.items


def test_instants_are_written_as_the_models_write_them() -> None:
    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    row = IncidentSummaryRow(
        uuid.UUID(int=1), "tenant-a", "ACTIVE", "high", "RATE_LIMIT", "SYSTEM", "t", None, None,
        None, None, 1, 1, 1, at, at.replace(microsecond=5), None, False,
    )  # fmt: skip
    fast = json.loads(dumps(summary_json(row)))
    assert fast["created_at"] == "2026-03-02T12:00:00Z"
    assert fast["last_event_at"] == "2026-03-02T12:00:00.000005Z"
    assert fast["cost_impact_usd"] == 0.000001
    assert fast == json.loads(summary(row).model_dump_json())


def test_the_drivers_uuid_type_is_written_as_a_uuid() -> None:
    from asyncpg.pgproto.pgproto import UUID as PgUUID

    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    row = IncidentSummaryRow(
        PgUUID("12345678123456781234567812345678"), "tenant-a", "ACTIVE", "high", "RATE_LIMIT",
        "SYSTEM", "t", None, None, None, None, 1, 1, 1, at, at, None, False,
    )  # fmt: skip
    fast = json.loads(dumps(summary_json(row)))
    assert fast["incident_id"] == "12345678-1234-5678-1234-567812345678"
