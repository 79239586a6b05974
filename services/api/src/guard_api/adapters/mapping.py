"""Rows (micro-dollars, plain strings) → REST read models (USD numbers, enums)."""

from __future__ import annotations

from dataclasses import asdict

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow
from guard_contracts.incidents import IncidentDetail, IncidentSummary
from guard_contracts.money import micros_to_usd


def summary(row: IncidentSummaryRow) -> IncidentSummary:
    data = asdict(row)
    data["cost_impact_usd"] = micros_to_usd(data.pop("cost_impact_micros"))
    return IncidentSummary.model_validate(data)


def detail(row: IncidentRow) -> IncidentDetail:
    data = asdict(row)
    data["cost_impact_usd"] = micros_to_usd(data.pop("cost_impact_micros"))
    return IncidentDetail.model_validate(data)
