"""One error shape for every failure: ``{"error": {"code", "message", "field"}}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from guard_api.adapters.errors import ApiError
from guard_contracts.api.common import ErrorBody, ErrorDetail
from guard_contracts.events import error_message

log = logging.getLogger(__name__)

_DESCRIPTIONS = {
    400: "Bad request.",
    401: "`not_authenticated` (no or malformed token), `invalid_token` (bad signature, audience "
    "or claims) or `token_expired`.",
    403: "`tenant_required` (valid token without a tenant), `tenant_mismatch` or `preflight_only`.",
    404: "`not_found`: missing, or another tenant's (the two are indistinguishable).",
    409: "`illegal_transition`: the incident's state does not allow the command.",
    422: "`validation_error`: a parameter or body field is invalid; `field` names it.",
    503: "`unavailable`: a dependency (database or Kafka) did not answer.",
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers of a route (always 401/403/422 for auth'd routes)."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


def _body(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> JSONResponse:
    detail = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(detail.model_dump(), status_code=status, headers=headers or None)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": 'Bearer realm="guard"'} if exc.status == 401 else {}
    return _body(exc.status, exc.code, exc.message, exc.field, **headers)


# ``<ExportFormat.JSON: 'json'>`` as pydantic writes a Literal of enum members -> ``'json'``.
_ENUM_REPR = re.compile(r"<[A-Za-z_][\w.]*: ('(?:[^'\\]|\\.)*'|-?[0-9.]+)>")


def _plain(message: str) -> str:
    return _ENUM_REPR.sub(r"\1", message)


def _field_and_message(error: Mapping[str, Any]) -> tuple[str | None, str]:
    """The parameter or body field an error is about, named as the client wrote it, and why."""
    loc = tuple(error.get("loc", ()))
    message = _plain(error_message(error) if "msg" in error else "invalid request")
    if error.get("type") == "json_invalid":
        # pydantic locates a JSON syntax error at a character offset, ("body", 10): the field
        # is the body itself, the offset goes into the message.
        ctx = error.get("ctx") or {}
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        return "body", f"is not valid JSON ({ctx.get('error', 'decode error')}){where}"
    # ("query", "limit") names "limit"; ("body", "notes") "notes"; a whole-body error ("body",)
    # names "body".
    field = ".".join(str(p) for p in loc[1:]) or (str(loc[0]) if loc else None)
    return field, message


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@lru_cache(maxsize=256)
def _template(path: str) -> re.Pattern[str]:
    """``/exports/{export_id}`` as a pattern: each parameter one path segment."""
    parts = re.split(r"\{[^}]+\}", path)
    return re.compile("[^/]+".join(re.escape(p) for p in parts))


def _documented(request: Request) -> tuple[dict[str, dict[str, Any]], str]:
    """The OpenAPI paths (FastAPI builds the document once) and the request's path."""
    return request.app.openapi().get("paths", {}), request.scope["path"]


def _methods(item: Mapping[str, Any]) -> set[str]:
    return {m.upper() for m in item if m in _METHODS}


def _allowed(request: Request) -> list[str]:
    """The documented methods of the resource a path names. A documented exact path
    (``/exports/audit-period``) names its resource, though a template (``/exports/{export_id}``)
    matches it too; otherwise every template that matches the path counts, so ``Allow`` lists
    them all (Starlette's own 405 lists the first matching route's methods only)."""
    paths, path = _documented(request)
    if path in paths:
        return sorted(_methods(paths[path]))
    found: set[str] = set()
    for template, item in paths.items():
        if "{" in template and _template(template).fullmatch(path):
            found |= _methods(item)
    return sorted(found)


def _method_not_allowed(methods: list[str]) -> JSONResponse:
    return _body(405, "method_not_allowed", "Method Not Allowed", None, Allow=", ".join(methods))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    paths, path = _documented(request)
    if path in paths and request.method not in _methods(paths[path]):
        # A template took a documented exact path for a method that path does not have (GET
        # /exports/audit-period is not the export "audit-period"): the method is not allowed.
        return _method_not_allowed(sorted(_methods(paths[path])))
    errors = exc.errors()
    field, message = _field_and_message(errors[0] if errors else {})
    return _body(422, "validation_error", f"{field}: {message}" if field else message, field)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        methods = _allowed(request)
        if methods:
            return _method_not_allowed(methods)
    if exc.status_code == 400:
        # FastAPI's "error parsing the body" (e.g. not UTF-8): a validation error of the body.
        return _body(422, "validation_error", f"body: {exc.detail}", "body")
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _body(exc.status_code, code, str(exc.detail), None, **(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return _body(500, "internal_error", "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
