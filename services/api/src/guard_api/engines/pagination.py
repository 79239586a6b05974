"""Page arithmetic of list answers (docs/product/rest-api.md)."""

from __future__ import annotations

from dataclasses import dataclass

MIN_LIMIT = 1
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
#: Deep offsets make every page scan what precedes it; beyond this, filter by time instead.
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int
    has_more: bool
    next_offset: int | None


def page(total: int, offset: int, limit: int, returned: int) -> Page:
    """``has_more`` = offset + returned < total; ``next_offset`` = offset + limit when has_more."""
    if total < 0 or offset < 0 or limit < 1 or returned < 0:
        raise ValueError("total, offset and returned must be ≥ 0 and limit ≥ 1")
    has_more = offset + returned < total
    return Page(limit, offset, has_more, offset + limit if has_more else None)
