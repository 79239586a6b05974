"""A local webhook receiver on 127.0.0.1 that records every request and fails on demand.

Used by the notifier's integration tests, its benchmark and the demo. Each channel gets its own
path (``receiver.url("a")`` → ``http://127.0.0.1:<port>/hooks/a``). For a path one can
- queue answers to give before the default (``fail_next("a", 500, 503)`` or ``(429, {"Retry-After": "1"})``),
- change the default answer (``answer_always("a", 410)``),
- slow a path down (``answer_slowly("a", 5)``),
- register the channel's secret, so each request is checked with the Standard Webhooks
  package's own verifier (``Received.verified``).

    async with run_receiver() as receiver:
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Plan = int | tuple[int, dict[str, str]]


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str | None
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived
    status: int  # what the receiver answered
    verified: bool | None  # None when no secret is registered for the path

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    delay_s: float = 0.0
    _plans: dict[str, deque[Plan]] = field(default_factory=lambda: defaultdict(deque))
    _always: dict[str, Plan] = field(default_factory=dict)
    _secrets: dict[str, str] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/hooks/{name}"

    def fail_next(self, name: str, *answers: Plan) -> None:
        self._plans[name].extend(answers)

    def answer_always(self, name: str, answer: Plan) -> None:
        self._always[name] = answer

    def answer_slowly(self, name: str, seconds: float) -> None:
        """Hold every answer on ``name`` this long (a slow or hanging endpoint)."""
        self._delays[name] = seconds

    def expect_secret(self, name: str, secret: str) -> None:
        self._secrets[name] = secret

    def at(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path == name]

    def delivered(self, name: str) -> list[Received]:
        """The requests of ``name`` answered with a 2xx."""
        return [r for r in self.at(name) if 200 <= r.status < 300]

    async def _handle(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        delay = self._delays.get(name, self.delay_s)
        if delay:
            await asyncio.sleep(delay)
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified: bool | None = None
        if name in self._secrets:
            try:
                Webhook(self._secrets[name]).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        plan = self._plans[name].popleft() if self._plans[name] else self._always.get(name, 200)
        status, extra = plan if isinstance(plan, tuple) else (plan, {})
        self.received.append(Received(name, headers.get("webhook-id"), headers, body,
                                      time.time(), status, verified))  # fmt: skip
        self.arrived.set()
        return Response(b"{}" if status < 300 else b'{"error":"planned"}', status_code=status,
                        headers=extra, media_type="application/json")  # fmt: skip

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks/{name}", self._handle, methods=["POST"])])


class _QuietServer(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to whoever runs the event loop (pytest, the demo)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def run_receiver(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Receiver]:
    """The receiver served by uvicorn on this event loop until the block ends."""
    receiver = Receiver(host=host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    receiver.port = int(sock.getsockname()[1])
    config = uvicorn.Config(receiver.app(), log_config=None, access_log=False, lifespan="off")
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="webhook-receiver")
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()
