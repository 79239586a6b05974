"""Rows (micro-dollars, plain strings) → REST read models (USD numbers, enums)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow
from guard_contracts.incidents import IncidentDetail, IncidentSummary
from guard_contracts.money import micros_to_usd

# Plain getattr over precomputed names: dataclasses.asdict deep-copies every value, which cost
# more than the whole query on the list path (bench/api).
_SUMMARY = tuple(f.name for f in fields(IncidentSummaryRow) if f.name != "cost_impact_micros")
_DETAIL = tuple(f.name for f in fields(IncidentRow) if f.name != "cost_impact_micros")


def _values(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in names}
    data["cost_impact_usd"] = micros_to_usd(row.cost_impact_micros)
    return data


def summary(row: IncidentSummaryRow) -> IncidentSummary:
    return IncidentSummary.model_validate(_values(row, _SUMMARY))


def detail(row: IncidentRow) -> IncidentDetail:
    return IncidentDetail.model_validate(_values(row, _DETAIL))
