"""Errors the adapters raise; the HTTP edge renders them as ``{"error": {code, message, field}}``."""

from __future__ import annotations


class ApiError(Exception):
    status: int = 400

    def __init__(
        self, code: str, message: str, *, status: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotAuthenticated(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404

    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"{what} not found")


class Conflict(ApiError):
    status = 409


class Unavailable(ApiError):
    """A dependency (PostgreSQL, Kafka, the JWKS) cannot be reached now: 503 with Retry-After."""

    status = 503

    def __init__(
        self, code: str = "unavailable", message: str = "", *, retry_after: int | None = None
    ) -> None:
        super().__init__(code, message or "a dependency is unreachable; retry later")
        self.retry_after = retry_after


class TooManyRequests(ApiError):
    """The tenant's rate limit is spent: 429 with Retry-After."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__("rate_limited", message)
        self.retry_after = retry_after
