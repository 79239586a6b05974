"""Apply one Kafka batch (L3): channel commands and incident changes, in one transaction.

Every delivery a change causes is a ledger row written in the same transaction as the rest of
the batch, and the batch's offsets are committed only after it commits. A crash before the commit
re-delivers the batch; rows that already exist are recognised by their deterministic id, so a
replay adds nothing and the flood windows are not counted twice.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from guard_runtime.dlq import DeadLetter
from pydantic import ValidationError

from guard_contracts.enums import Category, Severity
from guard_contracts.notifications import (
    ChangeKind,
    ChannelKind,
    DeliveryKind,
    DeliveryStatus,
    NotificationChannelCreate,
    NotificationChannelDelete,
    NotificationChannelTest,
    NotificationCommand,
    decode_command,
    delivery_id,
)
from guard_contracts.outputs import IncidentChanged
from guard_contracts.wire import ContractViolation, DlqReason, describe_validation_error
from guard_notifier.adapters.metrics import CHANGES, DELIVERIES
from guard_notifier.config import Settings
from guard_notifier.drivers import channels as channel_store
from guard_notifier.drivers import ledger
from guard_notifier.drivers.sealing import secret_box
from guard_notifier.engines.flood import Window, admit
from guard_notifier.engines.messages import change_message, test_message
from guard_notifier.engines.routing import Filters, change_kind

log = logging.getLogger(__name__)
Records = Sequence[ConsumerRecord[Any, Any]]


@dataclass
class BatchResult:
    dead_letters: list[DeadLetter] = field(default_factory=list)
    deliveries: int = 0


def _filters(channel: dict[str, Any]) -> Filters:
    return Filters(
        change_types=frozenset(ChangeKind(v) for v in channel["change_types"]),
        min_severity=Severity(channel["min_severity"]) if channel["min_severity"] else None,
        categories=frozenset(Category(v) for v in channel["categories"]),
    )


def decode(
    records: Records, commands_topic: str
) -> tuple[list[NotificationCommand], list[IncidentChanged], list[DeadLetter]]:
    commands: list[NotificationCommand] = []
    changes: list[IncidentChanged] = []
    dead: list[DeadLetter] = []
    for record in records:
        raw = record.value or b""
        try:
            if record.topic == commands_topic:
                commands.append(decode_command(raw))
            else:
                changes.append(IncidentChanged.model_validate_json(raw))
        except ContractViolation as exc:
            dead.append(DeadLetter.from_record(record, exc.code, exc.message))
        except ValidationError as exc:
            code = DlqReason.SCHEMA_VIOLATION
            dead.append(DeadLetter.from_record(record, code, describe_validation_error(exc)))
    return commands, changes, dead


async def apply_batch(pool: asyncpg.Pool[Any], records: Records, settings: Settings) -> BatchResult:
    commands, changes, dead = decode(records, settings.topic_notification_commands)
    result = BatchResult(dead_letters=dead)
    now = settings.clock()
    async with pool.acquire() as conn, conn.transaction():
        for command in commands:
            await _apply_command(conn, command, settings, now)
        if changes:
            result.deliveries = await _route_changes(conn, changes, settings, now)
    return result


async def _apply_command(
    conn: asyncpg.Connection[Any],
    command: NotificationCommand,
    settings: Settings,
    now: datetime,
) -> None:
    if isinstance(command, NotificationChannelCreate):
        created = await channel_store.create(
            conn,
            {
                "channel_id": command.channel_id, "tenant_id": command.tenant_id,
                "name": command.name, "kind": command.kind.value, "url": command.url,
                # Sealed before it is written: the table never holds a usable secret.
                "secret": secret_box(tuple(settings.secret_key_list())).seal(command.secret),
                "created_by": command.actor_id, "now": now,
                "change_types": [c.value for c in command.filters.change_types],
                "min_severity": command.filters.min_severity.value
                if command.filters.min_severity else None,
                "categories": [c.value for c in command.filters.categories],
            },
        )  # fmt: skip
        # The secret is never logged; the URL and the ids are.
        log.info("channel created" if created else "channel create repeated",
                 extra={"channel_id": str(command.channel_id), "tenant_id": command.tenant_id,
                        "kind": command.kind.value})  # fmt: skip
    elif isinstance(command, NotificationChannelDelete):
        if await channel_store.set_status(
            conn, command.tenant_id, command.channel_id, "deleted", None, now
        ):
            await ledger.cancel_channel(
                conn, command.tenant_id, command.channel_id, "channel deleted", now
            )
        log.info("channel deleted", extra={"channel_id": str(command.channel_id)})
    elif isinstance(command, NotificationChannelTest):
        channel = await channel_store.get(conn, command.tenant_id, command.channel_id)
        if channel is None:
            log.warning("test of an unknown channel", extra={"channel_id": str(command.channel_id)})
            return
        if channel["status"] != "active":
            return
        kind = ChannelKind(channel["kind"])
        row = (
            delivery_id(command.channel_id, f"test:{command.event_id}"), command.channel_id,
            command.tenant_id, DeliveryKind.TEST.value, DeliveryStatus.PENDING.value,
            command.event_id, None, None, test_message(kind, channel["name"], command.occurred_at),
            command.occurred_at, now, now,
        )  # fmt: skip
        await ledger.insert(conn, [row])


async def _route_changes(
    conn: asyncpg.Connection[Any],
    changes: Sequence[IncidentChanged],
    settings: Settings,
    now: datetime,
) -> int:
    """Ledger rows for every (change, channel) the channel's filters accept."""
    channels = await channel_store.active_for_tenants(conn, {c.tenant_id for c in changes})
    by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for channel in channels:
        by_tenant[channel["tenant_id"]].append(channel)
    filters = {c["channel_id"]: _filters(c) for c in channels}

    wanted: list[tuple[IncidentChanged, ChangeKind, dict[str, Any], uuid.UUID]] = []
    for change in changes:
        i = change.incident
        kind = change_kind(change.change_type, i.source_type, i.recurrence_of)
        if kind is None:
            CHANGES.labels("ignored").inc()
            continue
        CHANGES.labels("routed").inc()
        for channel in by_tenant.get(change.tenant_id, ()):
            if filters[channel["channel_id"]].wants(kind, i.severity, i.category):
                did = delivery_id(channel["channel_id"], str(change.event_id))
                wanted.append((change, kind, channel, did))
    if not wanted:
        return 0

    seen = await ledger.existing(conn, ((w[0].tenant_id, w[3]) for w in wanted))
    length = timedelta(seconds=settings.flood_window_s)
    windows = {c["channel_id"]: Window(c["window_started_at"], c["window_sent"]) for c in channels}
    touched: set[uuid.UUID] = set()
    rows: list[tuple[Any, ...]] = []
    held: dict[tuple[uuid.UUID, datetime], list[uuid.UUID]] = defaultdict(list)
    for change, kind, channel, did in wanted:
        if (change.tenant_id, did) in seen:  # a replayed batch: already in the ledger and counted
            continue
        seen.add((change.tenant_id, did))
        cid = channel["channel_id"]
        admitted, windows[cid] = admit(windows[cid], now, settings.flood_limit, length)
        touched.add(cid)
        status = DeliveryStatus.PENDING if admitted else DeliveryStatus.DIGESTED
        payload = change_message(change, kind, ChannelKind(channel["kind"]),
                                 settings.console_base_url)  # fmt: skip
        rows.append((
            did, cid, change.tenant_id, DeliveryKind.CHANGE.value, status.value, change.event_id,
            change.incident.incident_id, kind.value, payload, change.occurred_at,
            now if admitted else None, now,
        ))  # fmt: skip
        if not admitted:
            started = windows[cid].started_at
            assert started is not None
            held[(cid, started)].append(did)
    await ledger.insert(conn, rows)
    tenants = {c["channel_id"]: c["tenant_id"] for c in channels}
    await channel_store.save_windows(
        conn,
        [
            (tenants[cid], cid, windows[cid].started_at, windows[cid].sent)
            for cid in sorted(touched)
        ],
    )
    grace = timedelta(seconds=settings.digest_grace_s)
    for (cid, started), ids in held.items():
        digest = delivery_id(cid, f"digest:{started.isoformat()}")
        counted = await ledger.add_to_digest(
            conn, digest, cid, tenants[cid], len(ids), started + length + grace, now
        )
        if counted:
            DELIVERIES.labels("digested").inc(len(ids))
        else:
            # The window's digest has already left: send these after all, never drop them.
            await ledger.release(conn, tenants[cid], ids, now)
    return len(rows)
