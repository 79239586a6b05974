"""Event contracts (docs/product/events.md): every message on a guard topic, validated strictly.

Every model forbids unknown fields so that a misspelt optional field is reported instead of being
silently dropped, and every error names the offending field.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from guard_contracts.enums import (
    EXPORT_FORMATS,
    INCIDENT_EXPORT_KINDS,
    AnomalyType,
    BudgetType,
    CallStatus,
    Category,
    CommandResolutionMethod,
    ExportFormat,
    ExportKind,
    KillswitchAction,
    LifecycleState,
    Severity,
    TriggerType,
)

MAX_USD = Decimal(1_000_000)
_MIN_USD = -MAX_USD
_ZERO = Decimal(0)
_MICRO = Decimal("0.000001")
MAX_EVIDENCE_BYTES = 64 * 1024
#: The largest anomaly deviation (percent) and threshold ``cost_anomalies`` can store.
MAX_DEVIATION_PCT = Decimal("999999999999.99")
MAX_THRESHOLD = Decimal("99999999999999.999999")
TENANT_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"

TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]
#: What ``strip_whitespace`` removes from both ends (Unicode White_Space, pydantic-core trims with
#: Rust's ``str::trim``), spelled out so the JSON Schema pattern below means the same in every
#: regex dialect.
_WHITE_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Text without U+0000: PostgreSQL ``text`` and ``jsonb`` cannot hold it, so a NUL would fail in
#: the database instead of being refused here (docs/product/events.md#text).
TEXT_PATTERN = r"^[^\x00]*$"
#: The same, and not blank (white space only is empty once stripped).
NON_BLANK_TEXT_PATTERN = rf"^[^\x00]*[^\x00{_WHITE_SPACE}][^\x00]*$"
#: Counts (tokens, calls, steps, milliseconds) fit PostgreSQL ``integer``, so a ``bigint`` holds
#: any realistic sum of them (docs/product/events.md#text).
MAX_COUNT = 2**31 - 1


TEXT_PATTERNS = frozenset({TEXT_PATTERN, NON_BLANK_TEXT_PATTERN})
NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def error_message(error: Mapping[str, Any]) -> str:
    """How a validation error reads in a dead letter or a 422: a text pattern's mismatch is a
    NUL (blanks fail ``min_length`` first), and a validator's message drops pydantic's prefix."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch" and ctx.get("pattern") in TEXT_PATTERNS:
        return NUL_MESSAGE
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


# The rules run in pydantic-core (a regex, not a Python validator per field: cost events carry six
# of these on ingest's hot path); the JSON Schema publishes the same pattern.
#: Identifiers and names: stripped, 1-256 characters, not blank, no U+0000.
ShortText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=256, pattern=NON_BLANK_TEXT_PATTERN
    ),
]
#: Free text (reasons, notes, rules): stripped, at most 4096 characters, no U+0000.
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=4096, pattern=TEXT_PATTERN)
]
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]


def _parse_usd(value: object, *, allow_negative: bool) -> Decimal:
    """Accept a decimal string or a JSON number; reject bools, non-finite, out of range and > 6 dp."""
    # The JSON string is the common case: tested first. The comparisons below are Decimal against
    # Decimal (against an int they convert it on every call); the checks are the same.
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    elif isinstance(value, bool):
        raise ValueError("must be a decimal string or number, not a boolean")
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        raise ValueError("must be a decimal string or number")
    if not amount.is_finite():
        raise ValueError("must be finite")
    if not allow_negative and amount < _ZERO:
        raise ValueError("must be ≥ 0")
    if amount > MAX_USD or amount < _MIN_USD:
        raise ValueError("must be ≤ 1,000,000")
    exact = amount.quantize(_MICRO)
    if exact != amount:
        raise ValueError("has more than 6 decimals")
    return exact


def _usd(value: object) -> Decimal:
    return _parse_usd(value, allow_negative=False)


def _signed_usd(value: object) -> Decimal:
    return _parse_usd(value, allow_negative=True)


_as_str = PlainSerializer(lambda d: format(d.normalize(), "f"), return_type=str, when_used="json")

#: A non-negative USD amount with at most 6 decimals, serialised as a decimal string.
Usd = Annotated[Decimal, BeforeValidator(_usd), _as_str]
#: A USD amount that may be negative (a credit), same precision rules.
SignedUsd = Annotated[Decimal, BeforeValidator(_signed_usd), _as_str]
#: An exact USD amount in a read model, shown to the console as a JSON number (≤ 6 decimals).
UsdNumber = Annotated[
    Decimal, PlainSerializer(lambda d: float(d), return_type=float, when_used="json")
]


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; an instant the offset pushes out of the years 0001-9999 (``0001-01-01T00:00:00+01:00``)
    is refused (a ``ValueError``, so the field is named) instead of raising ``OverflowError``."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 0001-9999 once converted to UTC") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EventBase(_Strict):
    """Fields carried by every event (docs/product/events.md)."""

    event_id: uuid.UUID
    schema_version: Annotated[int, Field(ge=1, strict=True)] = 1
    tenant_id: TenantId
    occurred_at: AwareDatetime

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _rfc3339_only(cls, value: object) -> object:
        # Pydantic accepts unix timestamps; SPEC asks for RFC 3339 strings with an offset.
        if type(value) is str:  # the common case, decided without building an ``int | float``
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError("must be an RFC 3339 timestamp with an offset, not a number")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return to_utc(value)


class CostRecorded(EventBase):
    event_type: Literal["cost.recorded"] = "cost.recorded"
    run_id: ShortText | None = None
    step_index: NonNegativeInt | None = None
    agent_id: ShortText | None = None
    user_id: ShortText | None = None
    feature_tag: ShortText | None = None
    model: ShortText
    provider: ShortText | None = None
    input_tokens: NonNegativeInt
    output_tokens: NonNegativeInt
    cost_usd: Usd
    duration_ms: NonNegativeInt | None = None
    status: CallStatus | None = None


class KillswitchTriggered(EventBase):
    event_type: Literal["killswitch.triggered"] = "killswitch.triggered"
    killswitch_id: ShortText
    trigger_type: TriggerType
    action: KillswitchAction
    run_id: ShortText | None = None
    agent_id: ShortText | None = None
    policy_id: ShortText | None = None
    rule: LongText | None = None
    reason: LongText | None = None
    actor_id: ShortText | None = None
    calls_affected: NonNegativeInt = 1
    cost_delta_usd: SignedUsd | None = None
    error_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    severity: Severity | None = None
    evidence: dict[str, Any] | None = None

    @field_validator("evidence")
    @classmethod
    def _evidence_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
            if size > MAX_EVIDENCE_BYTES:
                raise ValueError(f"is {size} bytes; at most {MAX_EVIDENCE_BYTES} allowed")
            _check_storable_json(value)
        return value


def _check_storable_json(value: Any) -> None:
    """What ``jsonb`` refuses: U+0000 in a key or string, integers beyond 64 bits (the encoder
    ingest stores evidence with, orjson, refuses those; docs/product/events.md#text)."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise ValueError(f"cannot be stored as JSON: {exc}") from None
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            _no_nul(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class KillswitchReleased(EventBase):
    event_type: Literal["killswitch.released"] = "killswitch.released"
    killswitch_id: ShortText
    actor_id: ShortText | None = None
    reason: LongText | None = None


class BudgetSet(EventBase):
    event_type: Literal["budget.set"] = "budget.set"
    budget_type: BudgetType
    entity_id: ShortText
    daily_limit_usd: Usd | None = None
    monthly_limit_usd: Usd | None = None
    warn_threshold_pct: Annotated[int, Field(ge=1, le=100, strict=True)] = 80
    hard_limit_enabled: Annotated[bool, Field(strict=True)]


class _IncidentCommand(EventBase):
    incident_id: uuid.UUID
    actor_id: ShortText
    notes: LongText | None = None


class IncidentAcknowledge(_IncidentCommand):
    event_type: Literal["incident.acknowledge"] = "incident.acknowledge"


class IncidentResolve(_IncidentCommand):
    event_type: Literal["incident.resolve"] = "incident.resolve"
    resolution_method: CommandResolutionMethod | None = None


class CostAnomalyDetected(EventBase):
    event_type: Literal["cost.anomaly_detected"] = "cost.anomaly_detected"
    anomaly_type: AnomalyType
    #: ``cost_anomalies.entity_type`` is ``varchar(32)``.
    entity_type: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=32, pattern=NON_BLANK_TEXT_PATTERN
        ),
    ]
    entity_id: ShortText
    current_usd: Usd
    expected_usd: Usd
    #: Bounded by the columns that store them (numeric(14,2) and numeric(20,6)).
    deviation_pct: (
        Annotated[Decimal, Field(allow_inf_nan=False, ge=-MAX_DEVIATION_PCT, le=MAX_DEVIATION_PCT)]
        | None
    ) = None
    threshold: Annotated[Decimal, Field(allow_inf_nan=False, ge=-MAX_THRESHOLD, le=MAX_THRESHOLD)]
    severity: Severity
    window_start: AwareDatetime
    window_end: AwareDatetime

    @field_validator("window_start", "window_end")
    @classmethod
    def _window_utc(cls, value: datetime) -> datetime:
        return to_utc(value)

    @model_validator(mode="after")
    def _window_ordered(self) -> CostAnomalyDetected:
        if self.window_end < self.window_start:
            raise ValueError("window_end must not be before window_start")
        return self


class ExportRequested(EventBase):
    event_type: Literal["export.requested"] = "export.requested"
    export_id: uuid.UUID
    incident_id: uuid.UUID
    kind: ExportKind
    format: ExportFormat
    requested_by: ShortText
    export_reason: LongText | None = None
    prepared_for: ShortText | None = None

    @model_validator(mode="after")
    def _format_fits_kind(self) -> ExportRequested:
        if self.kind not in INCIDENT_EXPORT_KINDS:
            raise ValueError(f"kind {self.kind} is requested with export.audit_period_requested")
        allowed = EXPORT_FORMATS[self.kind]
        if self.format not in allowed:
            names = ", ".join(sorted(allowed))
            raise ValueError(f"format {self.format} is not available for {self.kind}; use {names}")
        return self


class AuditPeriodFilters(_Strict):
    """Optional narrowing of an audit-period export; each list matches any of its values."""

    severities: list[Severity] | None = None
    categories: list[Category] | None = None
    lifecycle_states: list[LifecycleState] | None = None


class AuditPeriodExportRequested(EventBase):
    """Every incident of the tenant created in [period_from, period_to), as one signed ZIP
    (no incident when the period is empty)."""

    event_type: Literal["export.audit_period_requested"] = "export.audit_period_requested"
    export_id: uuid.UUID
    period_from: AwareDatetime
    period_to: AwareDatetime
    filters: AuditPeriodFilters = AuditPeriodFilters()
    requested_by: ShortText
    export_reason: LongText | None = None
    prepared_for: ShortText | None = None


#: The namespace for deterministic anomaly event ids.
ANOMALY_NAMESPACE = uuid.UUID("6f1d3f55-3c0e-4a6c-9d8e-2a7f4f0b9c11")


def anomaly_event_id(
    tenant_id: str, anomaly_type: AnomalyType, entity_type: str, entity_id: str, period: str
) -> uuid.UUID:
    """Same (tenant, type, entity, period) → same id, so re-detection never duplicates (docs/product/events.md)."""
    name = "\x1f".join((tenant_id, anomaly_type.value, entity_type, entity_id, period))
    return uuid.uuid5(ANOMALY_NAMESPACE, name)
