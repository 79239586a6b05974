"""guard_runtime without servers: settings precedence, JSON logs, DLQ headers, ops endpoints."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import ConsumerRecord
from guard_runtime.dlq import DeadLetter
from guard_runtime.logging import JsonFormatter
from guard_runtime.ops import create_ops_app
from guard_runtime.settings import InfraSettings
from pydantic_settings import SettingsConfigDict

from guard_contracts.wire import DlqHeader


class _DemoSettings(InfraSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_DEMO_")


def test_unprefixed_connection_variables_are_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "shared:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared/db")
    assert _DemoSettings().kafka_bootstrap_servers == "shared:9092"
    assert _DemoSettings().database_url == "postgresql://shared/db"
    monkeypatch.setenv("GUARD_DEMO_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    assert _DemoSettings().kafka_bootstrap_servers == "own:9092"
    assert _DemoSettings(kafka_bootstrap_servers="arg:1").kafka_bootstrap_servers == "arg:1"


def test_json_formatter_keeps_extra_fields() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "applied %d", (3,), None)
    record.topic = "t"
    line = json.loads(JsonFormatter("demo").format(record))
    assert line["message"] == "applied 3"
    assert line["service"] == "demo"
    assert line["topic"] == "t"
    assert line["level"] == "info"


def test_dead_letter_keeps_original_headers_and_adds_reason() -> None:
    record = ConsumerRecord(
        topic="src", partition=1, offset=42, timestamp=0, timestamp_type=0, key=b"k",
        value=b"{bad", checksum=None, serialized_key_size=1, serialized_value_size=4,
        headers=[("trace", b"abc"), (DlqHeader.ERROR_CODE.value, b"stale")],
    )  # fmt: skip
    letter = DeadLetter.from_record(record, "malformed_json", "not valid JSON")
    headers = dict(letter.kafka_headers(datetime(2026, 1, 1, tzinfo=UTC)))
    assert letter.value == b"{bad"
    assert headers["trace"] == b"abc"
    assert headers[DlqHeader.SOURCE_TOPIC.value] == b"src"
    assert headers[DlqHeader.SOURCE_PARTITION.value] == b"1"
    assert headers[DlqHeader.SOURCE_OFFSET.value] == b"42"
    assert headers[DlqHeader.ERROR_CODE.value] == b"malformed_json"
    assert headers[DlqHeader.ERROR_MESSAGE.value] == b"not valid JSON"


async def test_ops_app_answers_health_readiness_and_metrics() -> None:
    ready = {"value": False}

    async def readiness() -> bool:
        return ready["value"]

    app = create_ops_app("demo", readiness)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        ready["value"] = True
        assert (await client.get("/readyz")).status_code == 200
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "python_info" in metrics.text


async def test_readiness_may_say_why_it_is_not_ready() -> None:
    answer: dict[str, tuple[bool, str | None]] = {"value": (False, "catching up: 12 records")}

    def readiness() -> tuple[bool, str | None]:
        return answer["value"]

    app = create_ops_app("demo", readiness)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
        busy = await client.get("/readyz")
        assert busy.status_code == 503
        assert busy.json() == {"status": "not_ready", "service": "demo",
                               "detail": "catching up: 12 records"}  # fmt: skip
        answer["value"] = (True, None)
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "service": "demo"}
