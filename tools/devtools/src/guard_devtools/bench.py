"""What the HTTP benchmarks share (bench/api, bench/analytics): the gateway as deployed, and wrk.

``start_api`` runs ``python -m guard_api`` in production mode against a database and waits for
``/readyz``; ``run_wrk`` drives it with wrk over a list of (path, token) requests and reads the
throughput, p50, p99 and non-2xx count from wrk's ``--latency`` report. ``asgi_get`` calls an app
in-process, without an HTTP server (the ``cost_per_request`` scripts).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

#: Cycles through the requests, each with its own bearer token.
_LUA = """
local reqs = {
%s
}
local i = 0
request = function()
  i = i + 1
  local r = reqs[(i %% #reqs) + 1]
  return wrk.format("GET", r[1], {["Authorization"] = "Bearer " .. r[2]})
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


async def asgi_get(
    app: Callable[..., Any], path: str, token: str, statuses: dict[int, int]
) -> None:
    """``GET path`` (query string included) with a bearer token, straight into the ASGI ``app``;
    the response status is counted in ``statuses`` and the body dropped."""
    route, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": route, "raw_path": route.encode(),
        "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80), "state": {},
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    await app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def start_api(
    url: str, port: int, workers: int, secret: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The gateway on 127.0.0.1:``port`` (HS256 tokens signed with ``secret``), once ready."""
    environ = dict(os.environ)
    environ.update({
        "GUARD_API_DATABASE_URL": url, "GUARD_API_JWT_SECRET": secret,
        "GUARD_API_ENVIRONMENT": "production", "GUARD_API_PORT": str(port),
        "GUARD_API_WORKERS": str(workers), "GUARD_API_DB_POOL_SIZE": "16",
        "GUARD_API_LOG_LEVEL": "WARNING", **(env or {}),
    })  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "guard_api"], env=environ)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API did not become ready")


def run_wrk(
    base: str, requests: Sequence[tuple[str, str]], duration: int, connections: int
) -> WrkResult:
    """wrk against ``base`` for ``duration`` seconds over (path, token) ``requests``."""
    entries = ",\n".join(f'{{"{path}", "{token}"}}' for path, token in requests)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % entries)
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s",
             "--latency", "-s", script.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"wrk printed no throughput:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        float(rps.group(1)),
        _percentile(out, "50"),
        _percentile(out, "99"),
        int(errors.group(1)) if errors else 0,
    )


def _percentile(out: str, pct: str) -> float:
    found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no {pct}th percentile:\n{out}")
    return float(found.group(1)) * _UNIT_MS[found.group(2)]
