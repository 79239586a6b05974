"""The notifier's pure rules: routing, filters, flood windows, HTTP verdicts, messages (the URL
rule is guard_rules.urls, tested in libs/rules/tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.enums import Category, Severity, SourceType, TimelineEntryType
from guard_contracts.notifications import ChangeKind, ChannelKind, delivery_id
from guard_devtools.notifications import incident_change
from guard_notifier.engines.flood import Window, admit
from guard_notifier.engines.messages import change_message, digest_message
from guard_notifier.engines.outcome import Verdict, judge, parse_retry_after
from guard_notifier.engines.routing import Filters, change_kind

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("entry", "source", "recurs", "kind"),
    [
        (TimelineEntryType.CREATED, SourceType.KILLSWITCH, False, ChangeKind.OPENED),
        (TimelineEntryType.CREATED, SourceType.KILLSWITCH, True, ChangeKind.REOPENED),
        (TimelineEntryType.CREATED, SourceType.COST_ANOMALY, False, ChangeKind.COST_ANOMALY),
        (TimelineEntryType.SEVERITY_ESCALATED, SourceType.KILLSWITCH, False, ChangeKind.ESCALATED),
        (TimelineEntryType.ACKNOWLEDGED, SourceType.MANUAL, False, ChangeKind.ACKNOWLEDGED),
        (TimelineEntryType.RESOLVED, SourceType.KILLSWITCH, False, ChangeKind.RESOLVED),
        (TimelineEntryType.AUTO_RESOLVED, SourceType.COST_ANOMALY, False, ChangeKind.RESOLVED),
        (TimelineEntryType.EVENT_ATTACHED, SourceType.KILLSWITCH, False, None),
    ],
)
def test_change_kinds(
    entry: TimelineEntryType, source: SourceType, recurs: bool, kind: ChangeKind | None
) -> None:
    assert change_kind(entry, source, uuid.uuid4() if recurs else None) is kind


def test_filters() -> None:
    everything = Filters()
    assert everything.wants(ChangeKind.OPENED, Severity.LOW, Category.MANUAL)
    f = Filters(frozenset({ChangeKind.RESOLVED}), Severity.HIGH, frozenset({Category.FREEZE}))
    assert f.wants(ChangeKind.RESOLVED, Severity.CRITICAL, Category.FREEZE)
    assert not f.wants(ChangeKind.OPENED, Severity.CRITICAL, Category.FREEZE)
    assert not f.wants(ChangeKind.RESOLVED, Severity.MEDIUM, Category.FREEZE)
    assert not f.wants(ChangeKind.RESOLVED, Severity.HIGH, Category.RATE_LIMIT)


def test_flood_window_opens_with_the_first_message() -> None:
    window = Window()
    results = []
    for second in range(8):
        ok, window = admit(window, T0 + timedelta(seconds=second), 3, MINUTE)
        results.append(ok)
    assert results == [True, True, True, False, False, False, False, False]
    assert window.started_at == T0
    ok, window = admit(window, T0 + MINUTE, 3, MINUTE)
    assert ok
    assert window == Window(T0 + MINUTE, 1)


@settings(derandomize=True, max_examples=200)
@given(
    gaps=st.lists(st.integers(0, 90_000), min_size=1, max_size=200),
    limit=st.integers(1, 10),
)
def test_never_more_than_the_limit_in_one_window(gaps: list[int], limit: int) -> None:
    window, now = Window(), T0
    admitted: dict[datetime | None, int] = {}
    for gap in gaps:
        now += timedelta(milliseconds=gap)
        ok, window = admit(window, now, limit, MINUTE)
        assert window.started_at is not None
        assert window.started_at <= now < window.started_at + MINUTE
        if ok:
            admitted[window.started_at] = admitted.get(window.started_at, 0) + 1
    assert all(n <= limit for n in admitted.values())


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, Verdict.DELIVERED), (204, Verdict.DELIVERED), (500, Verdict.RETRY),
     (503, Verdict.RETRY), (408, Verdict.RETRY), (429, Verdict.RETRY), (400, Verdict.FINAL),
     (404, Verdict.FINAL), (410, Verdict.FINAL), (301, Verdict.FINAL), (None, Verdict.RETRY)],
)  # fmt: skip
def test_verdicts(status: int | None, verdict: Verdict) -> None:
    assert judge(status, None, T0).verdict is verdict


def test_retry_after() -> None:
    assert judge(429, "7", T0).retry_after_s == 7
    assert judge(503, "Mon, 02 Mar 2026 12:00:30 GMT", T0).retry_after_s == 30
    assert parse_retry_after("Mon, 02 Mar 2026 11:00:00 GMT", T0) == 0
    assert parse_retry_after("soon", T0) is None
    assert parse_retry_after(None, T0) is None
    assert judge(410, "5", T0).retry_after_s is None


def test_delivery_ids_are_stable_per_channel_and_change() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert delivery_id(a, "x") == delivery_id(a, "x")
    assert delivery_id(a, "x") != delivery_id(b, "x")
    assert delivery_id(a, "x") != delivery_id(a, "y")


def test_messages_carry_a_console_link() -> None:
    change, _ = incident_change("t1", title="Freeze on agent-9", severity=Severity.CRITICAL)
    link = f"https://guard.example/console/#/incidents/{change.incident.incident_id}"
    slack = change_message(change, ChangeKind.OPENED, ChannelKind.SLACK, "https://guard.example/")
    assert slack["text"].startswith(":red_circle: Incident opened: Freeze on agent-9")
    assert link in slack["text"]
    assert f"<{link}|Open in Guard Console>" in str(slack["blocks"])
    hook = change_message(change, ChangeKind.OPENED, ChannelKind.WEBHOOK, "https://guard.example")
    assert hook["type"] == "incident.opened"
    assert hook["data"]["console_url"] == link
    assert hook["data"]["incident"]["severity"] == "critical"
    digest = digest_message(ChannelKind.WEBHOOK, 37, T0, T0 + MINUTE, ["a"], "https://g")
    assert digest["data"]["message"] == "and 37 more incident changes… (rate limit reached)"
