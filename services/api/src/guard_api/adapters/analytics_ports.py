"""What the analytics and cost routers need from their use cases (the routers see only this; the
request scope of ``adapters.gateway`` builds the implementations ``IncidentAnalytics`` and
``CostQueries``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from guard_api.adapters.errors import Forbidden

if TYPE_CHECKING:
    from guard_api.adapters.ports import JsonDocument


class IncidentAnalyticsPort(Protocol):
    async def patterns(
        self, tenant: str, window_hours: int, limit: int, now: datetime | None
    ) -> JsonDocument: ...
    async def recurring(
        self, tenant: str, baseline_days: int, threshold: int, limit: int, now: datetime | None
    ) -> JsonDocument: ...
    async def cost_impact(
        self, tenant: str, baseline_days: int, limit: int, now: datetime | None
    ) -> JsonDocument: ...
    async def metrics(
        self, tenant: str, window_days: int, now: datetime | None
    ) -> JsonDocument: ...
    async def historical(
        self, kind: str, tenant: str, window_days: int, granularity_name: str, now: datetime | None
    ) -> JsonDocument: ...


class CostQueriesPort(Protocol):
    async def summary(self, tenant: str, now: datetime | None) -> JsonDocument: ...
    async def explained(self, tenant: str, period: str, now: datetime | None) -> JsonDocument:
        """JSON bytes shaped as ``CostExplainedPublic``."""
        ...

    async def incidents(
        self, tenant: str, include_resolved: bool, limit: int, now: datetime | None
    ) -> JsonDocument: ...


def check_tenant(token_tenant: str, requested: str | None) -> None:
    """/guard/costs/* keeps its tenant_id parameter; another tenant's → 403 tenant_mismatch."""
    if requested is not None and requested != token_tenant:
        raise Forbidden("tenant_mismatch", "tenant_id does not match the token's tenant")
