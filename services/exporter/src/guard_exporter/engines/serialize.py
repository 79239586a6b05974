"""JSON-safe views of the records: money as exact decimal strings, times as ISO 8601 strings.

Everything in a bundle is a string, an int, a bool, null, a list or an object, so parsing a bundle
and encoding it again gives the very same bytes (that is what lets ``verify`` check a JSON bundle).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from guard_contracts.money import micros_to_usd
from guard_exporter.engines.records import IncidentRecord, RunStep, SourceEvent, TimelineRow
from guard_rules.incident import DETAIL_FIELDS, wire_name


def usd_text(micros: int | None) -> str | None:
    """Exact USD as a decimal string without trailing zeros (``12.5``, ``0``)."""
    if micros is None:
        return None
    return format(micros_to_usd(micros).normalize(), "f")


def usd_display(micros: int) -> str:
    """Exact USD for people, with thousands separators and at least the cents: ``250,000.00``,
    ``1,204.50``, ``2.50``; sub-cent amounts keep their digits (``0.012345``), nothing is rounded."""
    usd = micros_to_usd(micros).normalize()
    exponent = usd.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < -2 else 2
    return format(usd, f",.{places}f")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def when(value: datetime | None) -> str:
    """A time as people read it in a report: ``2026-11-20 09:00:00 UTC`` (empty when unknown:
    callers leave unknown facts out rather than print a placeholder)."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _plain(name: str, value: Any) -> Any:
    if name.endswith("_micros"):
        return usd_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def incident_view(incident: IncidentRecord) -> dict[str, Any]:
    """Every incident field under its wire name (the list is ``guard_rules.incident``), money as
    exact USD text, plus when the incident was contained and the recorded timeline head and length
    (what a proof is bound to)."""
    view = {wire_name(f): _plain(f, getattr(incident, f)) for f in DETAIL_FIELDS}
    view["contained_at"] = iso(incident.contained_at)
    view["timeline_head"] = incident.timeline_head
    view["timeline_length"] = incident.timeline_length
    return view


def timeline_view(entry: dict[str, Any], row: TimelineRow) -> dict[str, Any]:
    """The row as stored: its hashed entry (``guard_rules.timeline``) and its two hashes."""
    return {**entry, "prev_hash": row.prev_hash, "hash": row.hash}


def _raw_payload(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def event_view(event: SourceEvent) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "occurred_at": iso(event.occurred_at),
        "killswitch_id": event.killswitch_id,
        "trigger_type": event.trigger_type,
        "action": event.action,
        "run_id": event.run_id,
        "agent_id": event.agent_id,
        "policy_id": event.policy_id,
        "rule": event.rule,
        "reason": event.reason,
        "actor_id": event.actor_id,
        "calls_affected": event.calls_affected,
        "cost_delta_usd": usd_text(event.cost_delta_micros),
        "error_rate": _decimal_text(event.error_rate),
        "severity": event.severity,
        "raw_sha256": hashlib.sha256(event.raw).hexdigest(),
        "raw": _raw_payload(event.raw),
    }


def _decimal_text(value: Decimal | None) -> str | None:
    return format(value.normalize(), "f") if value is not None else None


def run_step_view(step: RunStep) -> dict[str, Any]:
    return {
        "event_id": str(step.event_id),
        "occurred_at": iso(step.occurred_at),
        "run_id": step.run_id,
        "step_index": step.step_index,
        "agent_id": step.agent_id,
        "model": step.model,
        "provider": step.provider,
        "input_tokens": step.input_tokens,
        "output_tokens": step.output_tokens,
        "cost_usd": usd_text(step.cost_micros),
        "duration_ms": step.duration_ms,
        "status": step.status,
    }
