"""Event and DTO contracts shared by every Guard Incidents service.

This package imports no service and no framework beyond Pydantic.
"""

from guard_contracts.topics import DEFAULT_TOPICS, Topics

__all__ = ["DEFAULT_TOPICS", "Topics"]
