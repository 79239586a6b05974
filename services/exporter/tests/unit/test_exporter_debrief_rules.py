"""Debrief rules: phrasing, time to detect, the scoped chart, and one test per recommendation rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from exporter_samples import as_incident_data, sample_rows

from guard_exporter.engines import advice
from guard_exporter.engines.controls import (
    DEMONSTRATED,
    NOT_DEMONSTRATED,
    PARTIAL,
    evaluate_controls,
)
from guard_exporter.engines.debrief import (
    MAX_BUCKETS,
    chart_window,
    response_times,
    spend_series,
    summary,
)
from guard_exporter.engines.pdf_debrief import per, usd_label
from guard_exporter.engines.phrasing import action_verb, count, duration, join, plural, verb
from guard_exporter.engines.records import IncidentData, SpendBucket
from guard_rules.learnings import learnings_for

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=2)


def _data(**changes: Any) -> IncidentData:
    data = as_incident_data(sample_rows("tenant-r", n_timeline=6, n_steps=3))
    return dataclasses.replace(data, incident=dataclasses.replace(data.incident, **changes))


def _open(**changes: Any) -> IncidentData:
    return _data(resolved_at=None, resolution_method=None, resolved_by=None, **changes)


# -- phrasing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (1, "model call", "1 model call"),
        (2, "model call", "2 model calls"),
        (0, "recorded signal", "0 recorded signals"),
        (1, "entry", "1 entry"),
        (12, "entry", "12 entries"),
        (1200, "run", "1,200 runs"),
    ],
)
def test_count_inflects_the_last_word(n: int, noun: str, expected: str) -> None:
    assert count(n, noun) == expected


def test_verbs_agree_with_their_count() -> None:
    assert (verb(1, "was"), verb(3, "was"), plural(2, "policy")) == ("was", "were", "policies")


@pytest.mark.parametrize(
    ("action", "words"),
    [("frozen", "froze"), ("stopped", "stopped"), ("alerted", "raised an alert on")],
)
def test_actions_read_as_past_tense_verbs(action: str, words: str) -> None:
    assert action_verb(action) == words


def test_join() -> None:
    assert [join([]), join(["a"]), join(["a", "b"]), join(["a", "b", "c"])] == [
        "",
        "a",
        "a and b",
        "a, b and c",
    ]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (61, "1 minute 1 second"),
        (3600, "1 hour"),
        (7500, "2 hours 5 minutes"),
        (90061, "1 day 1 hour"),
    ],
)
def test_duration_words(seconds: int, words: str) -> None:
    assert duration(timedelta(seconds=seconds)) == words


def test_summary_grammar_for_one_call_and_a_freeze() -> None:
    data = _data(calls_affected=1, event_count=1, trigger_type="freeze")
    data = dataclasses.replace(
        data, events=tuple(e._replace(action="frozen") for e in data.events[:1])
    )
    text = summary(data, LATER)
    assert "the freeze guard froze run run-42" in text
    assert "1 model call was affected across 1 recorded signal," in text


def test_an_open_incident_reads_open_for_never_lasted() -> None:
    text = summary(_open(), LATER)
    assert "still open; it has been open for 2 hours" in text
    assert "lasted" not in text


# -- time to detect -----------------------------------------------------------------------------


def test_time_to_detect_runs_from_the_first_signal_of_the_incident() -> None:
    data = _data(created_at=T0 + timedelta(minutes=4))
    assert response_times(data).detect == timedelta(minutes=4)


def test_time_to_detect_is_omitted_when_no_signal_is_known() -> None:
    data = dataclasses.replace(_data(source_type="manual"), events=())
    assert response_times(data).detect is None


# -- chart ----------------------------------------------------------------------------------------


def test_the_chart_is_scoped_to_the_run_then_the_agent() -> None:
    inc = _data().incident
    window = chart_window(inc, LATER)
    assert window is not None
    assert (window.scope, window.scope_id) == ("run", "run-42")
    agent_only = chart_window(dataclasses.replace(inc, llm_run_id=None), LATER)
    assert agent_only is not None
    assert (agent_only.scope, agent_only.scope_id) == ("agent", "agent-billing")
    none = dataclasses.replace(inc, llm_run_id=None, affected_agent_id=None)
    assert chart_window(none, LATER) is None


def test_the_chart_has_no_future_buckets() -> None:
    inc = _open().incident
    as_of = T0 + timedelta(minutes=50)
    window = chart_window(inc, as_of)
    assert window is not None
    series = spend_series(window, ())
    assert all(bucket.start <= as_of for bucket in series)
    assert series[-1].start + window.bucket > as_of  # the bucket holding "now" is the last
    assert len(series) <= MAX_BUCKETS


def test_spend_in_one_bucket_adds_up() -> None:
    window = chart_window(_data().incident, LATER)
    assert window is not None
    at = window.start + window.bucket
    series = spend_series(window, (SpendBucket(at, 5), SpendBucket(at + timedelta(seconds=1), 7)))
    assert [b.cost_micros for b in series if b.cost_micros] == [12]


def test_report_money_shows_cents_and_keeps_sub_cent_digits() -> None:
    from guard_exporter.engines.serialize import usd_display

    cases = (0, 2_500_000, 1_204_500_000, 250_000_000_000, 12_345, 493_800)
    assert [usd_display(m) for m in cases] == [
        "0.00",
        "2.50",
        "1,204.50",
        "250,000.00",
        "0.012345",
        "0.4938",
    ]


def test_chart_values_and_units_are_labelled() -> None:
    assert [usd_label(v) for v in (0, 0.372, 12.4, 1204, 12_300)] == [
        "$0",
        "$0.37",
        "$12.40",
        "$1,204",
        "$12.3k",
    ]
    assert (per(timedelta(hours=1)), per(timedelta(minutes=5))) == ("hour", "5 minutes")


# -- recommendations: one test per rule ----------------------------------------------------------


def _advise(rule: advice.Rule, data: IncidentData, similar: bool = False) -> str | None:
    learned = learnings_for(data.incident, data.similar if similar else ())
    return rule(advice.Facts(data, learned, LATER))


def test_rule_never_contained() -> None:
    data = _data(contained_at=None)
    data = dataclasses.replace(
        data, events=tuple(e._replace(action="alerted") for e in data.events)
    )
    assert "stop or freeze" in (_advise(advice.never_contained, data) or "")
    assert _advise(advice.never_contained, _data()) is None


def test_rule_nobody_acknowledged_only_when_nobody_acted() -> None:
    auto = _data(acked_at=None, acked_by=None, resolution_method="auto")
    assert "without anyone acknowledging it" in (_advise(advice.nobody_acknowledged, auto) or "")
    still_open = _open(acked_at=None, acked_by=None)
    assert "open for 2 hours" in (_advise(advice.nobody_acknowledged, still_open) or "")
    # Resolved in a minute by a person, never acknowledged: somebody did act.
    by_person = _data(acked_at=None, acked_by=None, resolution_method="manual")
    assert _advise(advice.nobody_acknowledged, by_person) is None


def test_rule_slow_acknowledgement() -> None:
    slow = _data(severity="critical", acked_at=T0 + timedelta(hours=3))
    assert _advise(advice.slow_acknowledgement, slow) == (
        "Acknowledge critical incidents within 1 hour: this one was acknowledged after 3 hours."
    )
    assert _advise(advice.slow_acknowledgement, _data(acked_at=T0 + timedelta(minutes=3))) is None


def test_rule_slow_resolution() -> None:
    slow = _data(severity="high", resolved_at=T0 + timedelta(hours=6))
    assert "4 hours target for high incidents was missed" in (
        _advise(advice.slow_resolution, slow) or ""
    )
    assert _advise(advice.slow_resolution, _data()) is None


def test_rule_recurring() -> None:
    assert "(3 resolved incidents on record)" in (
        _advise(advice.recurring, _data(), similar=True) or ""
    )
    assert _advise(advice.recurring, _data()) is None


def test_rule_proven_response() -> None:
    assert "closed 2 similar incidents" in (_advise(advice.proven_response, _data(), True) or "")
    assert _advise(advice.proven_response, _data()) is None


def test_rule_repeated_recovery() -> None:
    assert "pre-deployment check" in (_advise(advice.repeated_recovery, _data(), True) or "")
    assert _advise(advice.repeated_recovery, _data()) is None


def test_rule_benchmark() -> None:
    assert "benchmark" in (_advise(advice.benchmark, _data(), True) or "")
    assert _advise(advice.benchmark, _data()) is None


def test_rule_still_open() -> None:
    assert "Resolve the incident" in (_advise(advice.still_open, _open()) or "")
    assert _advise(advice.still_open, _data()) is None


def test_nothing_to_recommend_says_so() -> None:
    data = _data()
    learned = learnings_for(data.incident, ())
    assert advice.recommendations(data, learned, LATER) == [
        "No further action: the incident was detected, contained and resolved within 20 minutes "
        "10 seconds."
    ]


# -- SOC2 partial ---------------------------------------------------------------------------------


def _statuses(data: IncidentData) -> dict[str, str]:
    return {r.control_id: r.status for r in evaluate_controls(data, chain_verified=True)}


def test_contained_but_open_is_partial_response() -> None:
    assert _statuses(_open())["CC7.4"] == PARTIAL


def test_resolved_by_a_person_without_containment_is_partial() -> None:
    data = _data(contained_at=None, resolution_method="manual")
    data = dataclasses.replace(
        data, events=tuple(e._replace(action="alerted") for e in data.events)
    )
    assert _statuses(data) == {
        "CC7.2": DEMONSTRATED,
        "CC7.3": DEMONSTRATED,
        "CC7.4": PARTIAL,
        "CC7.5": PARTIAL,
    }


def test_auto_resolved_shows_no_recovery() -> None:
    assert _statuses(_data(resolution_method="auto"))["CC7.5"] == NOT_DEMONSTRATED
