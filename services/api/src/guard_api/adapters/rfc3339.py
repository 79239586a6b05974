"""RFC 3339 date-times as the gateway accepts them, in query parameters and request bodies
(docs/api/README.md#dates-and-times).

The published schema carries ``format: date-time`` plus a pattern, and validation applies that
very pattern, so every value the schema admits is accepted and nothing else is: not a bare
number (pydantic's lax mode reads one as a unix time), a date alone or a time without an offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

# RFC 3339 ``date-time`` (section 5.6) with an offset, after the year.
_TIME = (
    r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
#: Filters: any year 0001-9999.
ANY_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
#: ``now``: years 1972-9996, so the windows behind it (up to a year back, a month forward) and
#: any offset stay inside what the analytics can compute.
NOW_YEAR = r"(?:197[2-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-6])"
FILTER_PATTERN = f"^{ANY_YEAR}{_TIME}"
NOW_PATTERN = f"^{NOW_YEAR}{_TIME}"
EXAMPLE = "2026-03-02T12:00:00Z"
_UTC_MIN = datetime.min.replace(tzinfo=UTC)
_UTC_MAX = datetime.max.replace(tzinfo=UTC)


def _rfc3339(pattern: str, years: str) -> Callable[[object], datetime | None]:
    compiled = re.compile(pattern)

    def parse(value: object) -> datetime | None:
        if value is None or isinstance(value, datetime):  # a default, or a direct call
            return value
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(
                f"must be an RFC 3339 date-time with an offset ({years}), e.g. {EXAMPLE}"
            )
        try:
            parsed = datetime.fromisoformat(value.upper())  # 3.11 reads 't'/'z' only in capitals
        except ValueError:
            raise ValueError(f"is not a calendar date-time, e.g. {EXAMPLE}") from None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # an offset carried it past year 1 or 9999: the edge of time
            return _UTC_MIN if parsed.year == 1 else _UTC_MAX

    return parse


#: Parses a filter bound (ValueError if it is not one); shared with the fast lane.
parse_filter_time = _rfc3339(FILTER_PATTERN, "years 0001-9999")
#: Parses ``now`` (ValueError if it is not one); shared with the fast lane.
parse_now = _rfc3339(NOW_PATTERN, "years 1972-9996")


#: A list filter bound or an audit-period bound: RFC 3339 with an offset, converted to UTC.
UtcDateTime = Annotated[
    datetime,
    BeforeValidator(parse_filter_time),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": FILTER_PATTERN, "examples": [EXAMPLE]}
    ),
]
