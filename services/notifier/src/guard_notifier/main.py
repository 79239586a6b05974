"""Composition root: settings -> service -> subscriber -> FastStream app beside the ops app.

``python -m guard_notifier`` or the ``guard-notifier`` console script runs it.
"""

from __future__ import annotations

import logging

import uvloop
from faststream import FastStream
from faststream.kafka import KafkaBroker
from guard_runtime.logging import configure_logging
from guard_runtime.ops import create_ops_app, run_with_ops
from guard_runtime.settings import load_settings

from guard_notifier.adapters.service import NotifierService
from guard_notifier.config import Settings
from guard_notifier.entrypoints.consumers import register


def create_app(
    settings: Settings | None = None,
) -> tuple[FastStream, NotifierService, KafkaBroker]:
    settings = settings or Settings()
    service = NotifierService(settings)
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.client_id,
        graceful_timeout=settings.graceful_timeout_s,
        logger=logging.getLogger("guard_notifier.broker"),
    )
    register(broker, service, settings)
    app = FastStream(broker, logger=logging.getLogger("guard_notifier.app"))
    app.on_startup(service.start)
    app.after_shutdown(service.stop)
    return app, service, broker


async def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging("guard-notifier", settings.log_level)
    app, service, broker = create_app(settings)

    async def ready() -> bool:
        return await service.ready() and bool(await broker.ping(timeout=2.0))

    ops = create_ops_app("guard-notifier", ready)
    await run_with_ops(app, ops, host=settings.ops_host, port=settings.ops_port)


def run() -> None:
    # Production without GUARD_NOTIFIER_SECRET_KEYS stops here, exit 2, naming the variable.
    settings = load_settings(Settings, "guard-notifier")
    # uvloop: the sender is I/O-bound Python; its cheaper event loop is CPU for deliveries.
    uvloop.run(serve(settings))
