"""Outbound HTTP (L6): one POST per attempt, and DNS resolution for the URL check."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    retry_after: str | None
    error: str | None
    seconds: float


class HttpSender:
    def __init__(self, connect_timeout_s: float, request_timeout_s: float, pool: int) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(request_timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            follow_redirects=False,  # a redirect could lead to an address we refused
            headers={"user-agent": "guard-notifier/1"},
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Answer(None, None, f"{type(exc).__name__}: {exc}"[:500],
                          time.perf_counter() - started)  # fmt: skip
        return Answer(response.status_code, response.headers.get("retry-after"), None,
                      time.perf_counter() - started)  # fmt: skip

    async def close(self) -> None:
        await self._client.aclose()


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})
