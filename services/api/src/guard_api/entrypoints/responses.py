"""Fast JSON answers: the adapters already built validated read models, so serialise them once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from guard_contracts.api.common import Envelope, Meta


def json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def raw(content: bytes, status_code: int = 200) -> Response:
    """JSON bytes an adapter already serialised (shaped as the route's ``response_model``)."""
    return Response(content, status_code=status_code, media_type="application/json")


def enveloped(data: Any, request_id: str) -> Response:
    """The O4/O5 envelope ``{success, data, meta {timestamp, request_id}}``."""
    meta = Meta(timestamp=datetime.now(UTC), request_id=request_id)
    envelope: BaseModel = Envelope[type(data)](success=True, data=data, meta=meta)  # type: ignore[misc,operator]
    return json(envelope)
