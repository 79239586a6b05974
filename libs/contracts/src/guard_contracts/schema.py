"""The published event contracts: one JSON Schema per event type and an AsyncAPI 3.0 document of
every topic, generated from the models so they cannot drift (docs/events/README.md).

    python -m guard_contracts.schema docs/events     # regenerate the committed files

Consumed events (what ``wire.decode_event`` accepts) are described in validation mode; the
events the services only publish, in serialisation mode (what goes on the wire).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from guard_contracts.notifications import (
    NotificationChannelCreate,
    NotificationChannelDelete,
    NotificationChannelTest,
)
from guard_contracts.outputs import AnalyticsSnapshotCompleted, ExportResult, IncidentChanged
from guard_contracts.topics import DEFAULT_TOPICS
from guard_contracts.wire import EVENT_TYPES, DlqHeader, DlqReason

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"

#: Events only published (nothing in the platform validates them on the way in).
OUTPUT_TYPES: dict[str, type[BaseModel]] = {
    model.model_fields["event_type"].default: model
    for model in (IncidentChanged, ExportResult, AnalyticsSnapshotCompleted)
}

#: Notification-channel commands: consumed by the notifier only (``notifications.decode_command``).
NOTIFICATION_COMMAND_TYPES: dict[str, type[BaseModel]] = {
    model.model_fields["event_type"].default: model
    for model in (NotificationChannelCreate, NotificationChannelDelete, NotificationChannelTest)
}

Service = Literal["ingest", "analytics", "exporter", "notifier", "api", "external"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: what flows on it, who writes and who reads it."""

    field: str  # the ``Topics`` field (its default is the address)
    description: str
    messages: tuple[str, ...]  # event types; ``()`` = the DLQ's raw records
    producers: tuple[Service, ...]
    consumers: tuple[Service, ...]
    key: str = "tenant_id"
    compacted: bool = False


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "cost_events",
        "Every billed model call of an agent run, from the runtimes that call the models.",
        ("cost.recorded",),
        ("external",),
        ("ingest",),
    ),
    TopicSpec(
        "killswitch_events",
        "A guard stopped, throttled, froze or alerted on a run, or released it again.",
        ("killswitch.triggered", "killswitch.released"),
        ("external",),
        ("ingest",),
    ),
    TopicSpec(
        "budgets",
        "Daily and monthly budgets per tenant, feature or user; the latest value counts.",
        ("budget.set",),
        ("external",),
        ("ingest",),
        compacted=True,
    ),
    TopicSpec(
        "incident_commands",
        "Acknowledge and resolve commands a person issued through the REST gateway.",
        ("incident.acknowledge", "incident.resolve"),
        ("api",),
        ("ingest",),
    ),
    TopicSpec(
        "cost_anomalies",
        "Spend spikes, drifts and budget thresholds found by analytics; ingest opens incidents.",
        ("cost.anomaly_detected",),
        ("analytics",),
        ("ingest",),
    ),
    TopicSpec(
        "incident_changes",
        "One record per timeline entry, with the incident as it stands after it.",
        ("incident.changed",),
        ("ingest",),
        ("analytics", "notifier"),
    ),
    TopicSpec(
        "analytics_results",
        "A rollup snapshot advanced (for downstream readers; keyed by the snapshot name).",
        ("analytics.snapshot_completed",),
        ("analytics",),
        (),
        key="snapshot",
    ),
    TopicSpec(
        "export_requests",
        "Evidence bundle, SOC2 report, executive debrief and audit-period export requests.",
        ("export.requested", "export.audit_period_requested"),
        ("api",),
        ("exporter",),
    ),
    TopicSpec(
        "export_results",
        "The outcome of each export job (completed with its digest, or failed with the error).",
        ("export.result",),
        ("exporter",),
        ("ingest",),
    ),
    TopicSpec(
        "notification_commands",
        "Create, delete and test a notification channel, as a person asked through the REST "
        "gateway; the create carries the channel's signing secret.",
        tuple(sorted(NOTIFICATION_COMMAND_TYPES)),
        ("api",),
        ("notifier",),
    ),
    TopicSpec(
        "dlq",
        "Records a consumer could never apply: the original bytes, key and headers, plus headers "
        "naming the source topic, partition, offset, error code and message.",
        (),
        ("ingest", "exporter", "notifier"),
        (),
        key="the original record's key",
    ),
)


def _model(event_type: str) -> tuple[type[BaseModel], JsonSchemaMode]:
    if event_type in EVENT_TYPES:
        return EVENT_TYPES[event_type], "validation"
    if event_type in NOTIFICATION_COMMAND_TYPES:
        return NOTIFICATION_COMMAND_TYPES[event_type], "validation"
    return OUTPUT_TYPES[event_type], "serialization"


def all_event_types() -> list[str]:
    return sorted({*EVENT_TYPES, *NOTIFICATION_COMMAND_TYPES, *OUTPUT_TYPES})


def event_schema(event_type: str) -> dict[str, Any]:
    """A standalone JSON Schema (2020-12) of one event, with its ``$defs`` inline."""
    model, mode = _model(event_type)
    schema = model.model_json_schema(mode=mode)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{event_type}.schema.json", **schema}


def event_schemas() -> dict[str, dict[str, Any]]:
    return {name: event_schema(name) for name in all_event_types()}


def _channel_id(spec: TopicSpec) -> str:
    head, *rest = spec.field.split("_")
    return head + "".join(word.title() for word in rest)


_DLQ_HEADERS = {
    "type": "object",
    "description": "Beside the original record's own headers.",
    "properties": {
        DlqHeader.SOURCE_TOPIC.value: {"type": "string"},
        DlqHeader.SOURCE_PARTITION.value: {"type": "string", "pattern": "^[0-9]+$"},
        DlqHeader.SOURCE_OFFSET.value: {"type": "string", "pattern": "^[0-9]+$"},
        DlqHeader.ERROR_CODE.value: {"type": "string", "enum": [r.value for r in DlqReason]},
        DlqHeader.ERROR_MESSAGE.value: {"type": "string"},
        DlqHeader.FAILED_AT.value: {"type": "string", "format": "date-time"},
    },
    "required": [h.value for h in DlqHeader],
}


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3.0 of every topic (default names; each service can rename its topics)."""
    models = [(_model(name)[0], _model(name)[1]) for name in all_event_types()]
    refs, bundle = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(sorted(bundle.get("$defs", {}).items()))
    keys = {name: spec.key for spec in TOPICS for name in spec.messages}
    messages: dict[str, Any] = {}
    for name in all_event_types():
        model, mode = _model(name)
        messages[name] = {
            "name": name,
            "title": name,
            "contentType": "application/json",
            "payload": refs[(model, mode)],
            "bindings": {
                "kafka": {
                    "bindingVersion": "0.5.0",
                    "key": {"type": "string", "description": f"The event's {keys[name]}."},
                }
            },
        }
    messages["dead_letter"] = {
        "name": "dead_letter",
        "title": "Dead letter",
        "summary": "The original record, unchanged, with the reason in headers.",
        "headers": _DLQ_HEADERS,
        "payload": {"description": "The original value's bytes (often not JSON at all)."},
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in TOPICS:
        channel = _channel_id(spec)
        names = spec.messages or ("dead_letter",)
        binding: dict[str, Any] = {"bindingVersion": "0.5.0"}
        if spec.compacted:
            binding["topicConfiguration"] = {"cleanup.policy": ["compact"]}
        channels[channel] = {
            "address": getattr(DEFAULT_TOPICS, spec.field),
            "description": f"{spec.description} Key: {spec.key}.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {"kafka": binding},
        }
        refs_here = [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names]
        for action, services in (("send", spec.producers), ("receive", spec.consumers)):
            for service in services:
                operations[f"{service}_{action}_{channel}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "summary": f"{service} {'publishes to' if action == 'send' else 'consumes'} "
                    f"{getattr(DEFAULT_TOPICS, spec.field)}",
                    "messages": refs_here,
                }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Guard Incidents events",
            "version": DOCUMENT_VERSION,
            "description": "Every Kafka topic of Guard Incidents: JSON values (UTF-8), keyed by "
            "tenant_id unless a channel says otherwise. Generated by "
            "`python -m guard_contracts.schema docs/events`; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "Set by KAFKA_BOOTSTRAP_SERVERS.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_docs() -> dict[str, str]:
    """Relative path -> content of every generated file under docs/events."""
    files = {f"schemas/{n}.schema.json": _dump(s) for n, s in event_schemas().items()}
    files["asyncapi.json"] = _dump(asyncapi_document())
    return files


def write_docs(directory: Path) -> list[Path]:
    written = []
    for relative, content in rendered_docs().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/events")
    for path in write_docs(target):
        print(path)
