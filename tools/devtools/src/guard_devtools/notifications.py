"""Building and sending notifier inputs in tests, the benchmark and the demo.

``incident_change`` builds an ``incident.changed`` record exactly as ingest publishes it (the
IncidentChanged contract); ``create_channel_command`` a channel command as the gateway publishes
it. ``produce`` sends keyed records and waits for the broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from guard_contracts.enums import (
    Category,
    CauseType,
    LifecycleState,
    Severity,
    SourceType,
    TimelineEntryType,
)
from guard_contracts.incidents import IncidentDetail
from guard_contracts.notifications import (
    ChannelFilters,
    ChannelKind,
    NotificationChannelCreate,
    NotificationChannelTest,
    new_secret,
)
from guard_contracts.outputs import IncidentChanged
from guard_contracts.wire import encode


def incident_change(
    tenant_id: str,
    incident_id: uuid.UUID | None = None,
    *,
    sequence: int = 1,
    change_type: TimelineEntryType = TimelineEntryType.CREATED,
    severity: Severity = Severity.HIGH,
    category: Category = Category.EXECUTION_FAILURE,
    source_type: SourceType = SourceType.KILLSWITCH,
    title: str = "Failure spike stopped agent-1",
    recurrence_of: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> tuple[IncidentChanged, bytes]:
    """One change record (and its bytes) as ingest would put it on the incident-change topic."""
    incident_id = incident_id or uuid.uuid4()
    when = occurred_at or datetime.now(UTC)
    resolved = change_type in (TimelineEntryType.RESOLVED, TimelineEntryType.AUTO_RESOLVED)
    state = (LifecycleState.RESOLVED if resolved else LifecycleState.ACKED
             if change_type is TimelineEntryType.ACKNOWLEDGED else LifecycleState.ACTIVE)  # fmt: skip
    detail = IncidentDetail(
        incident_id=incident_id, tenant_id=tenant_id, lifecycle_state=state, severity=severity,
        category=category, cause_type=CauseType.SYSTEM, title=title, trigger_type=None,
        policy_id="pol-1", affected_agent_id="agent-1", llm_run_id=None, calls_affected=1,
        event_count=sequence, cost_impact_usd=0, created_at=when, last_event_at=when,
        resolved_at=when if resolved else None, is_synthetic=False,
        description=title, source_type=source_type, fingerprint=f"fp-{incident_id}",
        error_code=None, error_message=None, first_event_at=when, acked_at=None, acked_by=None,
        resolved_by=None, resolution_method=None, recurrence_of=recurrence_of, updated_at=when,
    )  # fmt: skip
    change = IncidentChanged(
        event_id=IncidentChanged.id_for(incident_id, sequence), tenant_id=tenant_id,
        occurred_at=when, change_type=change_type, sequence=sequence, incident=detail, data={},
    )  # fmt: skip
    return change, change.model_dump_json().encode()


def create_channel_command(
    tenant_id: str,
    url: str,
    *,
    kind: ChannelKind = ChannelKind.WEBHOOK,
    name: str = "ops",
    secret: str | None = None,
    filters: ChannelFilters | None = None,
) -> NotificationChannelCreate:
    return NotificationChannelCreate(
        event_id=uuid.uuid4(), tenant_id=tenant_id, occurred_at=datetime.now(UTC),
        channel_id=uuid.uuid4(), name=name, kind=kind, url=url, secret=secret or new_secret(),
        filters=filters or ChannelFilters(), actor_id="test",
    )  # fmt: skip


def channel_test_command(tenant_id: str, channel_id: uuid.UUID) -> NotificationChannelTest:
    return NotificationChannelTest(event_id=uuid.uuid4(), tenant_id=tenant_id,
                                   occurred_at=datetime.now(UTC), channel_id=channel_id,
                                   actor_id="test")  # fmt: skip


async def produce(bootstrap: str, topic: str, records: Sequence[tuple[str, bytes]]) -> None:
    """Send (key, value) records in order and wait for every acknowledgement."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        pending = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        for future in pending:
            await future
    finally:
        await producer.stop()


def command_bytes(command: Any) -> tuple[str, bytes]:
    return command.tenant_id, encode(command)
