"""The historical answers are written straight to JSON bytes: the same bytes their response model
writes (FastAPI's way) from the same value, whatever the rows, window and granularity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from guard_api.adapters.analytics import historical_document
from guard_api.engines.analytics_history import IncidentDay
from guard_api.engines.analytics_numbers import Granularity
from guard_contracts.api.analytics import (
    HistoricalCostTrendPublic,
    HistoricalDistributionPublic,
    HistoricalTrendPublic,
)

MODELS: dict[str, Any] = {
    "trend": HistoricalTrendPublic,
    "distribution": HistoricalDistributionPublic,
    "cost-trend": HistoricalCostTrendPublic,
}
AT = datetime(2026, 11, 1, 13, 37, 5, 123456, tzinfo=UTC)


def rows(window: int) -> st.SearchStrategy[list[IncidentDay]]:
    """Day parts inside a window of ``window`` days before ``AT`` (where the rollups put them)."""
    return st.lists(day_parts(window), max_size=60)


def day_parts(window: int) -> st.SearchStrategy[IncidentDay]:
    return st.builds(
        IncidentDay,
        day=st.integers(0, window * 24 - 1).map(lambda h: AT - timedelta(hours=h)),
        category=st.sampled_from(["budget", "loop", "policy", 'ünïcode "quoted" \\ name']),
        severity=st.sampled_from(["critical", "high", "medium", "low"]),
        cause_type=st.sampled_from(["cost_spike", "error_rate", ""]),
        created_count=st.integers(1, 10**6),
        cost_micros=st.integers(0, 10**15),
        resolved_count=st.integers(0, 10**6),
        resolution_us_sum=st.integers(0, 10**15),
    )


@pytest.mark.parametrize("kind", sorted(MODELS))
@given(
    data=st.data(),
    grain=st.sampled_from(list(Granularity)),
    window=st.integers(7, 365),
    last=st.none() | st.just(AT - timedelta(seconds=3, microseconds=7)),
)
def test_the_bytes_are_the_models_bytes(
    kind: str, data: st.DataObject, grain: Granularity, window: int, last: datetime | None
) -> None:
    days = data.draw(rows(window))
    start = AT - timedelta(days=window)
    written = historical_document(kind, days, start, AT, grain, window, last).content
    model: TypeAdapter[Any] = TypeAdapter(MODELS[kind])
    assert written == model.dump_json(model.validate_python(orjson.loads(written)))
