"""Hypothesis strategies for the driver's incident rows: every column with the values the table
can hold (the list row's columns, and the detail row's on top of them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow
from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    ResolutionMethod,
    Severity,
    SourceType,
    TriggerType,
)

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
texts = st.text(min_size=1, max_size=40)
maybe = st.none() | texts

SUMMARY_COLUMNS: dict[str, Any] = {
    "incident_id": st.uuids(),
    "tenant_id": st.from_regex(r"tenant-[a-z0-9]{1,12}", fullmatch=True),
    "lifecycle_state": st.sampled_from([s.value for s in LifecycleState]),
    "severity": st.sampled_from([s.value for s in Severity]),
    "category": st.sampled_from([c.value for c in Category]),
    "cause_type": st.sampled_from([c.value for c in CauseType]),
    "title": texts,
    "trigger_type": st.none() | st.sampled_from([t.value for t in TriggerType]),
    "policy_id": maybe,
    "affected_agent_id": maybe,
    "llm_run_id": maybe,
    "calls_affected": st.integers(0, 2**31 - 1),
    "event_count": st.integers(1, 2**31 - 1),
    "cost_impact_micros": st.integers(0, 10**15),
    "created_at": instants,
    "last_event_at": instants,
    "resolved_at": st.none() | instants,
    "is_synthetic": st.booleans(),
}
summary_rows = st.builds(IncidentSummaryRow, **SUMMARY_COLUMNS)
detail_rows = st.builds(
    IncidentRow,
    **SUMMARY_COLUMNS,
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
