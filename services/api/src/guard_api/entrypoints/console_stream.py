"""``GET /api/v1/incident-changes/stream``: the caller's tenant's incident changes as
server-sent events, for the console's live view (services/console/README.md, "Live updates").

Authenticated like every read (Bearer token; the browser sends it with ``fetch``, since
``EventSource`` cannot carry headers) and tenant-scoped: a stream only ever sees its token's
tenant. Not in the OpenAPI document: an endless response is not something a schema-driven client
or fuzzer can call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from guard_api.adapters.change_stream import ChangeHub
from guard_api.entrypoints.deps import CurrentTenant

STREAM_PATH = "/api/v1/incident-changes/stream"
#: A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
#: How long a new stream waits for the consumer before saying "ready" anyway.
READY_WAIT_SECONDS = 10.0


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def install_stream(app: FastAPI, hub: ChangeHub) -> None:
    async def incident_changes(tenant: CurrentTenant) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            async with hub.subscribe(tenant) as queue:
                yield "retry: 3000\n\n"
                # "ready": changes from here on will arrive; the client reloads what it shows once.
                with suppress(TimeoutError):
                    await asyncio.wait_for(hub.ready.wait(), READY_WAIT_SECONDS)
                yield _event("ready", {"tenant_id": tenant, "live": hub.ready.is_set()})
                while True:  # ends when the client goes: Starlette cancels this generator
                    try:
                        change = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    yield _event("overflow" if change.get("overflow") else "change", change)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    app.add_api_route(STREAM_PATH, incident_changes, include_in_schema=False)
    _stop_with_app(app, hub.stop)


def _stop_with_app(app: FastAPI, stop: Callable[[], Any]) -> None:
    """Run ``stop`` after the app's own lifespan, without touching how ``create_app`` builds it."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            try:
                yield state
            finally:
                await stop()

    app.router.lifespan_context = lifespan
