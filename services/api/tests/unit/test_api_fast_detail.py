"""The detail and the list items are serialised straight from the driver's records; they must say
exactly what the read models (the routes' response_model, hence OpenAPI) would say."""

from __future__ import annotations

from dataclasses import fields

from hypothesis import given, settings

from guard_api.adapters.mapping import (
    detail,
    detail_record_json,
    dumps,
    summary_json,
    summary_record_json,
)
from guard_api.drivers.rows import IncidentRow
from guard_contracts.incidents import IncidentDetail

from .incident_rows import detail_rows


def _record(row: IncidentRow) -> dict[str, object]:
    """What the driver hands over: the columns by name, in table order (plus the total)."""
    return {**{f.name: getattr(row, f.name) for f in fields(row)}, "total": 7}


@settings(derandomize=True, max_examples=300)
@given(row=detail_rows)
def test_a_detail_record_reads_as_the_model_would_write_it(row: IncidentRow) -> None:
    fast = dumps(detail_record_json(_record(row)))
    model = detail(row)
    # Byte for byte: same keys, same order, same numbers and instants.
    assert fast == model.model_dump_json().encode()
    assert IncidentDetail.model_validate_json(fast) == model


@settings(derandomize=True, max_examples=100)
@given(row=detail_rows)
def test_a_list_record_reads_as_a_summary_row(row: IncidentRow) -> None:
    assert summary_record_json(_record(row)) == summary_json(row)
