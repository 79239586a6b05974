"""Outbound HTTP (L6): one POST per attempt, and DNS resolution for the URL check.

Each channel has its own small connection pool (as many connections as it may have requests in
flight): a slow endpoint can only tie up its own connections, and httpcore's pool bookkeeping,
which walks every connection of a pool on every request, stays cheap.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    retry_after: str | None
    error: str | None
    seconds: float


class HttpSender:
    def __init__(
        self, connect_timeout_s: float, request_timeout_s: float, per_channel: int
    ) -> None:
        self._timeout = httpx.Timeout(request_timeout_s, connect=connect_timeout_s)
        self._limits = httpx.Limits(
            max_connections=per_channel, max_keepalive_connections=per_channel
        )
        self._clients: dict[uuid.UUID, httpx.AsyncClient] = {}
        # Loading the CA bundle costs a lot of CPU; every channel's pool shares one TLS context.
        self._tls = httpx.create_ssl_context()

    def _client(self, channel_id: uuid.UUID) -> httpx.AsyncClient:
        client = self._clients.get(channel_id)
        if client is None:
            client = self._clients[channel_id] = httpx.AsyncClient(
                timeout=self._timeout,
                limits=self._limits,
                verify=self._tls,
                follow_redirects=False,  # a redirect could lead to an address we refused
                headers={"user-agent": "guard-notifier/1"},
            )
        return client

    async def post(
        self, channel_id: uuid.UUID, url: str, body: bytes, headers: dict[str, str]
    ) -> Answer:
        started = time.perf_counter()
        try:
            response = await self._client(channel_id).post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Answer(None, None, f"{type(exc).__name__}: {exc}"[:500],
                          time.perf_counter() - started)  # fmt: skip
        return Answer(response.status_code, response.headers.get("retry-after"), None,
                      time.perf_counter() - started)  # fmt: skip

    async def forget(self, channel_id: uuid.UUID) -> None:
        """Close a channel's connections (it was deleted or disabled)."""
        client = self._clients.pop(channel_id, None)
        if client is not None:
            await client.aclose()

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})
