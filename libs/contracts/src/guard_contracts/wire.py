"""Decoding raw Kafka messages into events, and the dead-letter vocabulary (docs/product/events.md).

A consumer calls :func:`decode_event` on the raw bytes; any :class:`ContractViolation` it raises
carries the DLQ error code and a message naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from guard_contracts.events import (
    AuditPeriodExportRequested,
    BudgetSet,
    CostAnomalyDetected,
    CostRecorded,
    ExportRequested,
    IncidentAcknowledge,
    IncidentResolve,
    KillswitchReleased,
    KillswitchTriggered,
    error_message,
)

#: Every inbound event, discriminated by ``event_type``.
GuardEvent = Annotated[
    CostRecorded
    | KillswitchTriggered
    | KillswitchReleased
    | BudgetSet
    | IncidentAcknowledge
    | IncidentResolve
    | CostAnomalyDetected
    | ExportRequested
    | AuditPeriodExportRequested,
    Field(discriminator="event_type"),
]
EVENT_TYPES: dict[str, type[Any]] = {
    model.model_fields["event_type"].default: model
    for model in (
        CostRecorded,
        KillswitchTriggered,
        KillswitchReleased,
        BudgetSet,
        IncidentAcknowledge,
        IncidentResolve,
        CostAnomalyDetected,
        ExportRequested,
        AuditPeriodExportRequested,
    )
}
_ADAPTER: TypeAdapter[GuardEvent] = TypeAdapter(GuardEvent)
#: event_type -> its model's own validator, JSON mode. Once orjson has read the event type, the
#: union's discriminator work is redundant; same validator, same events (the fast-path tests).
_VALIDATE_JSON: dict[str, Callable[[bytes], Any]] = {
    event_type: model.__pydantic_validator__.validate_json
    for event_type, model in EVENT_TYPES.items()
}

DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


class DlqReason(StrEnum):
    """Error codes written to the ``x-error-code`` DLQ header."""

    MALFORMED_JSON = "malformed_json"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNEXPECTED_EVENT_TYPE = "unexpected_event_type"
    FUTURE_EVENT = "future_event"
    OVERSIZED_MESSAGE = "oversized_message"
    UNKNOWN_INCIDENT = "unknown_incident"
    UNKNOWN_KILLSWITCH = "unknown_killswitch"
    ILLEGAL_TRANSITION = "illegal_transition"
    TENANT_KEY_MISMATCH = "tenant_key_mismatch"
    PROCESSING_FAILED = "processing_failed"


class DlqHeader(StrEnum):
    """Headers on every DLQ record, beside the original record's own headers."""

    SOURCE_TOPIC = "x-source-topic"
    SOURCE_PARTITION = "x-source-partition"
    SOURCE_OFFSET = "x-source-offset"
    ERROR_CODE = "x-error-code"
    ERROR_MESSAGE = "x-error-message"
    FAILED_AT = "x-failed-at"


class ContractViolation(Exception):
    """A message that can never be applied; it belongs in the DLQ with this code and message."""

    def __init__(self, code: DlqReason, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming every failing field, e.g. ``cost_usd: has more than 6 decimals``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or len(err["loc"]) > 1)
        # The discriminated union puts the event type first in the location; drop it.
        if err["loc"] and isinstance(err["loc"][0], str) and "." in err["loc"][0]:
            loc = ".".join(str(p) for p in err["loc"][1:])
        parts.append(f"{loc or '<root>'}: {error_message(err)}")
    return "; ".join(parts)


def decode_event(
    raw: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    allowed: frozenset[str] | None = None,
) -> GuardEvent:
    """Parse and validate one message; ``allowed`` restricts the event types of a topic."""
    if len(raw) > max_bytes:
        raise ContractViolation(
            DlqReason.OVERSIZED_MESSAGE, f"message is {len(raw)} bytes; at most {max_bytes}"
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractViolation(DlqReason.MALFORMED_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContractViolation(DlqReason.SCHEMA_VIOLATION, "the message must be a JSON object")
    event_type = data.get("event_type")
    if event_type not in EVENT_TYPES:
        raise ContractViolation(
            DlqReason.UNKNOWN_EVENT_TYPE, f"event_type: unknown event type {event_type!r}"
        )
    if allowed is not None and event_type not in allowed:
        raise ContractViolation(
            DlqReason.UNEXPECTED_EVENT_TYPE,
            f"event_type: {event_type!r} does not belong on this topic",
        )
    try:
        # Fast path: pydantic validates straight from the bytes (about 40 % cheaper than from the
        # dict) with the model of the event type orjson read (the union would find the same one:
        # both parsers keep the last of repeated keys). orjson has parsed the bytes already, so
        # what is malformed JSON is decided exactly as before, and both modes give the same event
        # for the same bytes (see libs/contracts/tests/test_contracts_wire_fast_path.py).
        event: GuardEvent = _VALIDATE_JSON[event_type](raw)
        return event
    except ValidationError:
        pass
    try:
        # The slow path words the error, so a dead letter names the field exactly as it always has.
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ContractViolation(
            DlqReason.SCHEMA_VIOLATION, describe_validation_error(exc)
        ) from None


def check_not_future(
    occurred_at: datetime, now: datetime, skew: timedelta = DEFAULT_CLOCK_SKEW
) -> None:
    """Reject events stamped further in the future than the allowed clock skew."""
    if occurred_at - now > skew:
        raise ContractViolation(
            DlqReason.FUTURE_EVENT,
            f"occurred_at: {occurred_at.isoformat()} is more than {skew} ahead of {now.isoformat()}",
        )


def encode(model: BaseModel) -> bytes:
    """Serialise a contract model to the JSON bytes put on a topic."""
    return model.model_dump_json(exclude_none=True).encode()
