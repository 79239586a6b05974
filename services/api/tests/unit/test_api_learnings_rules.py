from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from guard_api.engines import learnings as rules

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Inc:
    incident_id: uuid.UUID
    fingerprint: str = "fp"
    category: str = "RATE_LIMIT"
    created_at: datetime = T0
    resolved_at: datetime | None = T0 + timedelta(minutes=30)
    resolution_method: str | None = "manual"
    lifecycle_state: str = "RESOLVED"


def inc(**kw: object) -> Inc:
    return Inc(incident_id=uuid.uuid4(), **kw)  # type: ignore[arg-type]


def test_confidences_follow_the_original_formulas() -> None:
    assert rules.response_confidence(1) == Decimal("0.60")
    assert rules.response_confidence(3) == Decimal("0.80")
    assert rules.response_confidence(9) == Decimal("0.90")
    assert rules.prevention_confidence(2) == Decimal("0.76")
    assert rules.prevention_confidence(3) == Decimal("0.84")
    assert rules.prevention_confidence(4) == Decimal("0.85")
    assert rules.detection_confidence(2) == Decimal("0.70")
    assert rules.detection_confidence(5) == Decimal("0.80")


@given(st.integers(0, 1000))
def test_confidences_stay_within_their_caps(n: int) -> None:
    assert Decimal("0.5") <= rules.response_confidence(n) <= Decimal("0.9")
    assert Decimal("0.6") <= rules.prevention_confidence(n) <= Decimal("0.85")
    assert Decimal("0.5") <= rules.detection_confidence(n) <= Decimal("0.8")


def test_similar_takes_fingerprint_matches_first_then_category_up_to_five() -> None:
    me = inc(lifecycle_state="ACTIVE", resolved_at=None)
    same_fp = [inc() for _ in range(2)]
    same_cat = [same_fp[0], *[inc(fingerprint="other") for _ in range(5)]]
    chosen = rules.pick_similar(me, same_fp, same_cat)
    assert [c for c, _ in chosen] == [*same_fp, *same_cat[1:4]]
    assert [m for _, m in chosen] == [rules.Match.FINGERPRINT] * 2 + [rules.Match.CATEGORY] * 3


def test_similar_never_includes_the_incident_itself() -> None:
    me = inc()
    assert rules.pick_similar(me, [me], [me]) == []


def test_insights_response_prevention_detection() -> None:
    similar = [
        inc(resolution_method="rollback", resolved_at=T0 + timedelta(hours=2)),
        inc(resolution_method="rollback", resolved_at=T0 + timedelta(hours=4)),
        inc(resolution_method="released", resolved_at=T0 + timedelta(hours=3)),
    ]
    found = {i.kind: i for i in rules.insights(similar)}
    assert found[rules.Kind.RESPONSE].supporting == 2
    assert found[rules.Kind.RESPONSE].confidence == Decimal("0.70")
    assert "rollback" in found[rules.Kind.RESPONSE].message
    assert found[rules.Kind.PREVENTION].supporting == 3
    assert found[rules.Kind.PREVENTION].confidence == Decimal("0.84")
    assert found[rules.Kind.DETECTION].confidence == Decimal("0.80")
    assert "3.0 hours" in found[rules.Kind.DETECTION].message


def test_no_insights_without_enough_support() -> None:
    found = rules.insights([inc(resolution_method="manual")])
    assert [i.kind for i in found] == [rules.Kind.RESPONSE]
    assert rules.insights([]) == []


def test_durations_read_in_minutes_hours_or_days() -> None:
    assert rules.format_duration(90_000) == "1.5 minutes"
    assert rules.format_duration(2 * 3_600_000) == "2.0 hours"
    assert rules.format_duration(36 * 3_600_000) == "1.5 days"


def test_recovery_is_release_or_rollback() -> None:
    assert rules.recovery_attempted("released")
    assert rules.recovery_attempted("rollback")
    assert not rules.recovery_attempted("manual")
    assert not rules.recovery_attempted(None)
