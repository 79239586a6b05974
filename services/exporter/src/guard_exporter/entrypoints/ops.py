"""L2: the ops HTTP app (/healthz, /readyz, /metrics) with the exporter's readiness check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from guard_runtime.ops import create_ops_app


def exporter_ops_app(ready: Callable[[], Awaitable[bool]]) -> FastAPI:
    return create_ops_app("exporter", ready)
