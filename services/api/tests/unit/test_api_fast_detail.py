"""The detail and the list items are serialised straight from the driver's records; they must say
exactly what the read models (the routes' response_model, hence OpenAPI) would say."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_api.adapters.mapping import (
    detail,
    detail_record_json,
    dumps,
    summary_json,
    summary_record_json,
)
from guard_api.drivers.rows import IncidentRow
from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TriggerType,
)
from guard_contracts.incidents import IncidentDetail

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
texts = st.text(min_size=1, max_size=40)
maybe = st.none() | texts
rows = st.builds(
    IncidentRow,
    incident_id=st.uuids(),
    tenant_id=st.from_regex(r"tenant-[a-z0-9]{1,12}", fullmatch=True),
    lifecycle_state=st.sampled_from([s.value for s in LifecycleState]),
    severity=st.sampled_from([s.value for s in Severity]),
    category=st.sampled_from([c.value for c in Category]),
    cause_type=st.sampled_from([c.value for c in CauseType]),
    title=texts,
    trigger_type=st.none() | st.sampled_from([t.value for t in TriggerType]),
    policy_id=maybe,
    affected_agent_id=maybe,
    llm_run_id=maybe,
    calls_affected=st.integers(0, 2**31 - 1),
    event_count=st.integers(1, 2**31 - 1),
    cost_impact_micros=st.integers(0, 10**15),
    created_at=instants,
    last_event_at=instants,
    resolved_at=st.none() | instants,
    is_synthetic=st.booleans(),
    description=st.text(max_size=40),
    source_type=st.sampled_from([s.value for s in SourceType]),
    fingerprint=texts,
    error_code=maybe,
    error_message=maybe,
    first_event_at=instants,
    acked_at=st.none() | instants,
    acked_by=maybe,
    resolved_by=maybe,
    resolution_method=st.none() | st.sampled_from([m.value for m in ResolutionMethod]),
    recurrence_of=st.none() | st.uuids(),
    updated_at=instants,
)


def _record(row: IncidentRow) -> dict[str, object]:
    """What the driver hands over: the columns by name, in table order (plus the total)."""
    return {**{f.name: getattr(row, f.name) for f in fields(row)}, "total": 7}


@settings(derandomize=True, max_examples=300)
@given(row=rows)
def test_a_detail_record_reads_as_the_model_would_write_it(row: IncidentRow) -> None:
    fast = dumps(detail_record_json(_record(row)))
    model = detail(row)
    # Byte for byte: same keys, same order, same numbers and instants.
    assert fast == model.model_dump_json().encode()
    assert IncidentDetail.model_validate_json(fast) == model


@settings(derandomize=True, max_examples=100)
@given(row=rows)
def test_a_list_record_reads_as_a_summary_row(row: IncidentRow) -> None:
    assert summary_record_json(_record(row)) == summary_json(row)
