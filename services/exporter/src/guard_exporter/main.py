"""Composition root: ``python -m guard_exporter`` runs the export consumer and the ops app."""

from __future__ import annotations

import asyncio
import logging

from faststream import FastStream
from faststream.kafka import KafkaBroker
from guard_runtime.logging import configure_logging
from guard_runtime.ops import run_with_ops
from guard_runtime.settings import load_settings as load_runtime_settings

from guard_exporter.adapters.processing import Renderer
from guard_exporter.adapters.service import ExporterParts, build_parts
from guard_exporter.config import Settings
from guard_exporter.engines.render import render
from guard_exporter.entrypoints.consumer import register_export_consumer
from guard_exporter.entrypoints.ops import exporter_ops_app


def create_app(
    settings: Settings, renderer: Renderer = render
) -> tuple[FastStream, KafkaBroker, ExporterParts]:
    """``renderer`` is replaceable so tests can make a render fail on purpose."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id="guard-exporter",
        graceful_timeout=settings.graceful_timeout_seconds,
        # Our logger, so FastStream's messages are JSON lines like every other log line.
        logger=logging.getLogger("guard_exporter.broker"),
    )
    parts = build_parts(settings, broker, renderer)
    register_export_consumer(
        broker,
        topic=settings.topic_export_requests,
        group_id=settings.group_id,
        processor=parts.processor,
    )
    app = FastStream(
        broker,
        logger=logging.getLogger("guard_exporter.app"),
        on_startup=[parts.start],
        after_shutdown=[parts.stop],
    )
    return app, broker, parts


async def serve(settings: Settings) -> None:
    app, broker, parts = create_app(settings)

    async def ready() -> bool:
        # Ready = its database and its broker answer, as for the other Kafka services.
        return await parts.ready() and bool(await broker.ping(timeout=2.0))

    await run_with_ops(
        app,
        exporter_ops_app(ready),
        host=settings.ops_host,
        port=settings.ops_port,
        log_level=logging.getLevelName(settings.log_level),
    )


def load_settings() -> Settings:
    """Settings, or exit 2 with the reason (e.g. no signing key in production) in one clear line."""
    return load_runtime_settings(Settings, "guard-exporter")


def main() -> None:
    settings = load_settings()
    configure_logging("exporter", settings.log_level)
    asyncio.run(serve(settings))
