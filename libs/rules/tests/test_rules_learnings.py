"""Learnings and insights (guard_rules.learnings) and the recovery methods (guard_rules.resolution)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from guard_contracts.enums import ResolutionMethod
from guard_rules import learnings as rules
from guard_rules.resolution import RECOVERY_METHODS, recovery_attempted

DETERMINISTIC = settings(derandomize=True, max_examples=200)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Inc:
    incident_id: uuid.UUID
    fingerprint: str = "fp"
    category: str = "RATE_LIMIT"
    created_at: datetime = T0
    resolved_at: datetime | None = T0 + timedelta(minutes=30)
    resolution_method: str | None = "manual"
    event_count: int = 3


_ids = iter(range(1, 10**9))


def inc(**kw: object) -> Inc:
    return Inc(incident_id=uuid.UUID(int=next(_ids)), **kw)  # type: ignore[arg-type]


def test_confidences_follow_the_original_formulas() -> None:
    assert rules.response_confidence(1) == Decimal("0.60")
    assert rules.response_confidence(3) == Decimal("0.80")
    assert rules.response_confidence(9) == Decimal("0.90")
    assert rules.prevention_confidence(2) == Decimal("0.76")
    assert rules.prevention_confidence(3) == Decimal("0.84")
    assert rules.prevention_confidence(4) == Decimal("0.85")
    assert rules.detection_confidence(2) == Decimal("0.70")
    assert rules.detection_confidence(5) == Decimal("0.80")


@DETERMINISTIC
@given(st.integers(0, 1000), st.integers(0, 1000))
def test_confidences_stay_within_their_caps_and_never_fall(a: int, b: int) -> None:
    low, high = sorted((a, b))
    for confidence, floor, cap in (
        (rules.response_confidence, "0.5", "0.9"),
        (rules.prevention_confidence, "0.6", "0.85"),
        (rules.detection_confidence, "0.5", "0.8"),
    ):
        assert Decimal(floor) <= confidence(low) <= confidence(high) <= Decimal(cap)
        assert confidence(high).as_tuple().exponent == -2


def test_recovery_is_a_release_or_a_rollback() -> None:
    assert {"released", "rollback"} == RECOVERY_METHODS
    assert recovery_attempted(ResolutionMethod.RELEASED)
    assert recovery_attempted("rollback")
    for other in ("manual", "manual_closure", "auto", None):
        assert not recovery_attempted(other)


def test_similar_takes_fingerprint_matches_first_then_category_up_to_five() -> None:
    me = inc(resolved_at=None)
    same_fp = [inc(resolved_at=T0 + timedelta(hours=h)) for h in (5, 4)]
    same_cat = [inc(fingerprint="other", resolved_at=T0 + timedelta(hours=h)) for h in range(5)]
    chosen = rules.pick_similar(me, [*same_cat, *same_fp, same_fp[0]])
    assert list(chosen) == [*same_fp, *reversed(same_cat[2:])]
    learned = rules.learnings_for(me, [*same_fp, *same_cat])
    matches = [learned.match(s) for s in learned.similar]
    assert matches == [rules.Match.FINGERPRINT] * 2 + [rules.Match.CATEGORY] * 3


def test_similar_leaves_out_the_incident_itself_open_ones_and_strangers() -> None:
    me = inc()
    strangers = [inc(fingerprint="x", category="FREEZE"), inc(resolved_at=None)]
    assert rules.pick_similar(me, [me, *strangers]) == ()


@DETERMINISTIC
@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.booleans(), st.integers(0, 20)), max_size=25
    ),
    st.randoms(use_true_random=False),
)
def test_similar_is_at_most_five_fingerprint_first_newest_first_in_any_order(
    flags: list[tuple[bool, bool, bool, int]], shuffle: random.Random
) -> None:
    me = inc(resolved_at=None)
    candidates = [
        inc(
            fingerprint="fp" if same_fp else "other",
            category="RATE_LIMIT" if same_cat else "FREEZE",
            resolved_at=T0 + timedelta(hours=hour) if resolved else None,
        )
        for same_fp, same_cat, resolved, hour in flags
    ]
    chosen = rules.pick_similar(me, candidates)
    shuffled = candidates[:]
    shuffle.shuffle(shuffled)
    assert rules.pick_similar(me, shuffled) == chosen  # the order of the candidates is irrelevant
    eligible = [
        c
        for c in candidates
        if c.resolved_at is not None and (c.fingerprint == "fp" or c.category == "RATE_LIMIT")
    ]
    assert len(chosen) == min(5, len(eligible))
    keys = [(c.fingerprint != "fp", -c.resolved_at.timestamp()) for c in chosen]  # type: ignore[union-attr]
    assert keys == sorted(keys)


def test_insights_response_prevention_detection() -> None:
    similar = [
        inc(resolution_method="rollback", resolved_at=T0 + timedelta(hours=2)),
        inc(resolution_method="rollback", resolved_at=T0 + timedelta(hours=4)),
        inc(resolution_method="released", resolved_at=T0 + timedelta(hours=3)),
    ]
    found = {i.kind: i for i in rules.insights(similar)}
    assert found[rules.Kind.RESPONSE].supporting == 2
    assert found[rules.Kind.RESPONSE].confidence == Decimal("0.70")
    assert found[rules.Kind.RESPONSE].message == (
        "Resolution method rollback closed 2 similar incidents; consider it first."
    )
    assert found[rules.Kind.PREVENTION].supporting == 3
    assert found[rules.Kind.PREVENTION].confidence == Decimal("0.84")
    assert found[rules.Kind.DETECTION].confidence == Decimal("0.80")
    assert found[rules.Kind.DETECTION].message == (
        "Similar incidents took 3.0 hours on average to resolve."
    )


def test_ninety_minutes_reads_as_one_and_a_half_hours() -> None:
    similar = [inc(resolved_at=T0 + timedelta(minutes=m)) for m in (60, 120)]
    (detection,) = [i for i in rules.insights(similar) if i.kind is rules.Kind.DETECTION]
    assert "took 1.5 hours on average" in detection.message


def test_one_similar_incident_reads_in_the_singular_and_teaches_only_the_response() -> None:
    found = rules.insights([inc(resolution_method="manual")])
    assert [i.kind for i in found] == [rules.Kind.RESPONSE]
    assert (
        found[0].message == "Resolution method manual closed 1 similar incident; consider it first."
    )
    assert rules.insights([]) == ()


def test_a_tie_between_methods_goes_to_the_alphabetically_first() -> None:
    similar = [inc(resolution_method="rollback"), inc(resolution_method="manual")]
    assert "method manual closed 1" in rules.insights(similar)[0].message


def test_learnings_summarise_the_incident_itself() -> None:
    me = inc(resolution_method="released", resolved_at=T0 + timedelta(minutes=90), event_count=7)
    learned = rules.learnings_for(me, [])
    assert (learned.resolution_method, learned.time_to_resolution_ms) == ("released", 5_400_000)
    assert (learned.evidence_count, learned.recovery_attempted) == (7, True)
    assert (learned.similar, learned.insights) == ((), ())
    still_open = rules.learnings_for(replace(me, resolved_at=None, resolution_method=None), [])
    assert still_open.time_to_resolution_ms is None
    assert not still_open.recovery_attempted
