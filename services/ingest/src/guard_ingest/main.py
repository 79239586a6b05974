"""Composition root: settings -> service -> subscribers -> FastStream app beside the ops app.

``python -m guard_ingest`` or the ``guard-ingest`` console script runs it.
"""

from __future__ import annotations

import logging

import uvloop
from faststream import FastStream
from faststream.kafka import KafkaBroker
from guard_runtime.gc_tuning import tune_gc
from guard_runtime.logging import configure_logging
from guard_runtime.ops import create_ops_app, run_with_ops

from guard_ingest.adapters.service import IngestService
from guard_ingest.config import Settings
from guard_ingest.entrypoints.consumers import register
from guard_ingest.entrypoints.exported import register_exported


def create_app(
    settings: Settings | None = None,
) -> tuple[FastStream, IngestService, KafkaBroker]:
    settings = settings or Settings()
    service = IngestService(settings)
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.client_id,
        graceful_timeout=settings.graceful_timeout_s,
        logger=logging.getLogger("guard_ingest.broker"),
    )
    register(broker, service, settings)
    register_exported(broker, service, settings)
    app = FastStream(broker, logger=logging.getLogger("guard_ingest.app"))
    # Start the pool and producers before the subscribers; stop them only after the broker has
    # finished the batch in hand (after_shutdown runs after broker.stop()).
    app.on_startup(service.start)
    app.after_shutdown(service.stop)
    return app, service, broker


async def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging("guard-ingest", settings.log_level)
    app, service, broker = create_app(settings)

    async def ready() -> tuple[bool, str | None]:
        if not (await service.ready() and bool(await broker.ping(timeout=2.0))):
            return False, None
        behind = service.catching_up()  # e.g. after an outage, while the backlog drains
        return behind is None, behind

    ops = create_ops_app("guard-ingest", ready)
    tune_gc(settings.gc_gen0_threshold)
    await run_with_ops(app, ops, host=settings.ops_host, port=settings.ops_port)


def run() -> None:
    # uvloop: ingest is CPU-bound Python (profile in bench/ingest/RESULTS.md); the cheaper event
    # loop and transports leave more of the core to decoding and the engine.
    uvloop.run(serve())
