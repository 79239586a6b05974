"""Query vocabularies of the incident lists (docs/product/rest-api.md)."""

from __future__ import annotations

from enum import StrEnum


class SortField(StrEnum):
    CREATED_AT = "created_at"
    RESOLVED_AT = "resolved_at"
    SEVERITY = "severity"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class Topic(StrEnum):
    """``ACTIVE`` covers ACTIVE and ACKED incidents; ``RESOLVED`` the resolved ones."""

    ACTIVE = "ACTIVE"
    RESOLVED = "RESOLVED"
