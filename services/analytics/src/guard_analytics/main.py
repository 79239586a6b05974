"""Composition root: settings -> publisher -> service -> FastStream app beside the ops app.

``python -m guard_analytics`` runs it.
"""

from __future__ import annotations

import asyncio
import logging

from faststream import FastStream
from faststream.kafka import KafkaBroker
from guard_runtime.logging import configure_logging
from guard_runtime.ops import create_ops_app, run_with_ops

from guard_analytics.adapters.service import AnalyticsService
from guard_analytics.config import Settings
from guard_analytics.drivers.publisher import Publisher
from guard_analytics.entrypoints import incident_changes


def create_app(
    settings: Settings | None = None,
) -> tuple[FastStream, AnalyticsService, KafkaBroker]:
    settings = settings or Settings()
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.client_id,
        logger=logging.getLogger("guard_analytics.broker"),
    )
    service = AnalyticsService(settings, Publisher(broker))
    incident_changes.register(broker, service, settings)
    app = FastStream(broker, logger=logging.getLogger("guard_analytics.app"))
    app.on_startup(service.start)
    # The loops publish through the broker, so they start once it is connected.
    app.after_startup(service.start_loops)
    app.on_shutdown(service.stop)
    return app, service, broker


async def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging("guard-analytics", settings.log_level)
    app, service, broker = create_app(settings)

    async def ready() -> bool:
        return await service.ready() and bool(await broker.ping(timeout=2.0))

    ops = create_ops_app("guard-analytics", ready)
    await run_with_ops(app, ops, host=settings.ops_host, port=settings.ops_port)


def run() -> None:
    asyncio.run(serve())
