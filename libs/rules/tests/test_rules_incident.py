"""The incident field list (guard_rules.incident) against the REST wire models."""

from __future__ import annotations

from dataclasses import fields

from guard_contracts.incidents import IncidentDetail, IncidentSummary
from guard_rules.incident import (
    DETAIL_FIELDS,
    SUMMARY_FIELDS,
    IncidentRecord,
    IncidentSummaryRecord,
    wire_name,
)


def test_the_list_item_fields_are_the_wire_list_item_in_order() -> None:
    assert [wire_name(f) for f in SUMMARY_FIELDS] == list(IncidentSummary.model_fields)


def test_the_detail_fields_are_every_wire_detail_field() -> None:
    assert [wire_name(f) for f in DETAIL_FIELDS] == list(IncidentDetail.model_fields)
    assert DETAIL_FIELDS[: len(SUMMARY_FIELDS)] == SUMMARY_FIELDS


def test_records_are_the_field_lists() -> None:
    assert tuple(f.name for f in fields(IncidentSummaryRecord)) == SUMMARY_FIELDS
    assert tuple(f.name for f in fields(IncidentRecord)) == DETAIL_FIELDS
    assert issubclass(IncidentRecord, IncidentSummaryRecord)


def test_only_money_changes_its_name_on_the_wire() -> None:
    assert wire_name("cost_impact_micros") == "cost_impact_usd"
    assert wire_name("calls_affected") == "calls_affected"
