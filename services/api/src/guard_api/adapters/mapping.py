"""Rows (micro-dollars, plain strings) → REST read models (USD numbers, enums)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import orjson

from guard_api.drivers.rows import IncidentRow, IncidentSummaryRow
from guard_contracts.incidents import IncidentDetail, IncidentSummary
from guard_contracts.money import micros_to_usd, micros_to_usd_number

# Plain getattr over precomputed names: dataclasses.asdict deep-copies every value, which cost
# more than the whole query on the list path (bench/api).
_SUMMARY = tuple(f.name for f in fields(IncidentSummaryRow) if f.name != "cost_impact_micros")
_DETAIL = tuple(f.name for f in fields(IncidentRow) if f.name != "cost_impact_micros")


def _values(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in names}
    data["cost_impact_usd"] = micros_to_usd(row.cost_impact_micros)
    return data


_SUMMARY_ORDER = tuple(f.name for f in fields(IncidentSummaryRow))
#: Instants as pydantic writes them: RFC 3339, "Z" for UTC.
_JSON_OPTIONS = orjson.OPT_UTC_Z


_USD = "cost_impact_usd"
#: (name on the wire, column) in the read models' order.
_SUMMARY_WIRE = tuple((_USD if n == "cost_impact_micros" else n, n) for n in _SUMMARY_ORDER)
_DETAIL_WIRE = tuple(
    (_USD if f.name == "cost_impact_micros" else f.name, f.name) for f in fields(IncidentRow)
)


def _record_json(record: Mapping[str, Any], wire: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    data = {name: record[column] for name, column in wire}
    data[_USD] = micros_to_usd_number(data[_USD])  # an existing key keeps its position
    return data


def summary_record_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON value of :func:`summary` without building (and validating) a model: the hot lists
    serialise driver records (columns by name) straight to bytes. ``test_api_fast_lists`` holds
    the two to the same output."""
    return _record_json(record, _SUMMARY_WIRE)


def summary_json(row: IncidentSummaryRow) -> dict[str, Any]:
    """:func:`summary_record_json` of a row dataclass."""
    return summary_record_json({name: getattr(row, name) for name in _SUMMARY_ORDER})


def detail_record_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON value of :func:`detail` without building (and validating) the model;
    ``test_api_fast_reads`` holds the two to the same output."""
    return _record_json(record, _DETAIL_WIRE)


def _default(value: Any) -> Any:
    # asyncpg hands out its own uuid.UUID subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, default=_default, option=_JSON_OPTIONS)


def summary(row: IncidentSummaryRow) -> IncidentSummary:
    return IncidentSummary.model_validate(_values(row, _SUMMARY))


def detail(row: IncidentRow) -> IncidentDetail:
    return IncidentDetail.model_validate(_values(row, _DETAIL))
