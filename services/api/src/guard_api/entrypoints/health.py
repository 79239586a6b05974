"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request

from guard_api.adapters.errors import Unavailable
from guard_api.entrypoints.errors import error_responses
from guard_contracts.api.common import HealthPublic

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=HealthPublic, summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=HealthPublic,
    summary="The database answers",
    responses=error_responses(503),
)
async def readyz(request: Request) -> dict[str, str]:
    try:
        await request.app.state.gateway.ready()
    except Unavailable:
        raise
    except Exception as exc:
        raise Unavailable("unavailable", f"database not ready: {type(exc).__name__}") from None
    return {"status": "ready"}
