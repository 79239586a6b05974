"""The demo story and the token tool (no services needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt

from guard_contracts.wire import decode_event
from guard_devtools.demo import HISTORY_DAYS, demo_events
from guard_devtools.token import DEV_SECRET, mint

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_every_demo_event_satisfies_the_contracts() -> None:
    import json

    for events in demo_events(NOW).values():
        for event in events:
            decode_event(json.dumps(event).encode())


def _ids(events: dict[str, list[dict[str, Any]]], kind: str | None = None) -> set[str]:
    return {e["event_id"] for k, items in events.items() if kind in (None, k) for e in items}


def test_each_run_opens_new_incidents_while_history_and_spend_are_published_once() -> None:
    first, second = demo_events(NOW), demo_events(NOW)
    # The story of now gets new ids (and killswitch ids) each run: ingest does not skip it as a
    # duplicate of an incident that idled out long ago.
    now_first = {e["event_id"] for e in first["killswitch"] if _recent(e)}
    now_second = {e["event_id"] for e in second["killswitch"] if _recent(e)}
    assert now_first
    assert now_first.isdisjoint(now_second)
    # History and spend keep their ids, so running twice does not double them.
    old_first = _ids(first) - now_first
    old_second = _ids(second) - now_second
    assert old_first == old_second
    ids = [e["event_id"] for events in first.values() for e in events]
    assert len(ids) == len(set(ids))


def _recent(event: dict[str, Any]) -> bool:
    return NOW - datetime.fromisoformat(event["occurred_at"]) < timedelta(minutes=15)


def test_a_run_days_later_is_just_as_fresh() -> None:
    later = NOW + timedelta(days=3, hours=7)
    for now in (NOW, later):
        events = demo_events(now)
        times = [datetime.fromisoformat(e["occurred_at"]) for es in events.values() for e in es]
        assert max(times) <= now  # nothing from the future
        open_now = [
            e for e in events["killswitch"]
            if e["tenant_id"] == "demo" and e["event_type"] == "killswitch.triggered"
            and now - datetime.fromisoformat(e["occurred_at"]) < timedelta(minutes=15)
        ]  # fmt: skip
        assert len(open_now) >= 4  # breach x3 + spike + freeze, within the idle timeout
        resolved = [e for e in events["killswitch"] if e["event_type"] == "killswitch.released"]
        assert len(resolved) >= HISTORY_DAYS  # a week of history, resolved
        today = [
            e for e in events["cost"]
            if e["tenant_id"] == "demo" and e["occurred_at"][:10] == now.date().isoformat()
        ]  # fmt: skip
        spend = sum(Decimal(e["cost_usd"]) for e in today)
        assert spend > Decimal(events["budget"][0]["daily_limit_usd"])  # the cost pages explain it


def test_demo_covers_both_tenants_and_a_release() -> None:
    events = demo_events(NOW)
    assert {e["tenant_id"] for e in events["killswitch"]} == {"demo", "other"}
    assert any(e["event_type"] == "killswitch.released" for e in events["killswitch"])


def test_minted_token_carries_the_console_claims() -> None:
    token = mint("demo", subject="alice")
    claims = jwt.decode(token, DEV_SECRET, algorithms=["HS256"], audience="console")
    assert claims["tenant_id"] == "demo"
    assert claims["sub"] == "alice"
    assert claims["exp"] > claims["iat"]
