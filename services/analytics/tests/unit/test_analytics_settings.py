"""Settings that moved to the service that writes the table they prune stop analytics with the
new name, rather than being ignored (a retention that silently stopped would fill the disk)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guard_analytics.config import Settings


@pytest.mark.parametrize(
    ("field", "new_name"),
    [
        ("cost_events_retention_days", "GUARD_INGEST_COST_EVENTS_RETENTION_DAYS"),
        ("partitions_ahead_days", "GUARD_INGEST_PARTITIONS_AHEAD_DAYS"),
        ("export_retention_days", "GUARD_EXPORTER_RETENTION_DAYS"),
    ],
)
def test_a_moved_setting_names_where_it_went(
    monkeypatch: pytest.MonkeyPatch, field: str, new_name: str
) -> None:
    monkeypatch.setenv(f"GUARD_ANALYTICS_{field.upper()}", "40")
    with pytest.raises(ValidationError, match=f"has moved to {new_name}"):
        Settings()


def test_the_hourly_rollup_retention_stays_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_ANALYTICS_HOURLY_ROLLUPS_RETENTION_DAYS", "40")
    assert Settings().hourly_rollups_retention_days == 40
