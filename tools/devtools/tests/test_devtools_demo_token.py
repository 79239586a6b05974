"""The demo story and the token tool (no services needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt

from guard_contracts.wire import decode_event
from guard_devtools.demo import demo_events
from guard_devtools.token import DEV_SECRET, mint

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_every_demo_event_satisfies_the_contracts() -> None:
    import json

    for events in demo_events(NOW).values():
        for event in events:
            decode_event(json.dumps(event).encode())


def test_demo_ids_are_stable_so_a_second_run_adds_nothing() -> None:
    first = demo_events(NOW)
    second = demo_events(NOW)
    assert first == second
    ids = [e["event_id"] for events in first.values() for e in events]
    assert len(ids) == len(set(ids))


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
