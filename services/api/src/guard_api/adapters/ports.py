"""What the HTTP edge may see of the adapters: plain request types and protocols.

Entrypoints import only this module, ``auth`` and ``errors``, never the adapters that reach
drivers or engines (import-linter forbids even indirect imports); ``main`` wires the
implementations (``adapters.gateway.Gateway``) into ``app.state.gateway``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import orjson

from guard_api.adapters.analytics_ports import CostQueriesPort, IncidentAnalyticsPort
from guard_api.adapters.auth import Principal, TokenVerifier
from guard_api.adapters.exports_ports import ExportsPort
from guard_api.adapters.notification_channels_ports import NotificationChannelsPort
from guard_api.config import Settings
from guard_contracts.api.common import CommandAccepted
from guard_contracts.api.evidence import Evidence, IncidentTimeline, Proof
from guard_contracts.api.learnings import Learnings
from guard_contracts.api.query import SortField, SortOrder, Topic
from guard_contracts.enums import CommandResolutionMethod, LifecycleState
from guard_contracts.incidents import IncidentDetail


@dataclass(frozen=True, slots=True)
class JsonDocument:
    """An answer already serialised to JSON bytes (the hot incident lists skip a pydantic model
    per item). Its shape is the route's ``response_model``, which OpenAPI documents."""

    content: bytes

    @classmethod
    def of(cls, document: dict[str, Any]) -> JsonDocument:
        """``document`` written as it stands: its keys in the response model's order and its
        instants already ISO 8601 strings, as the model writes them, so no model is built per
        answer (a year of daily points spent ~0.7 ms of a 2.2 ms answer being validated into the
        model and written back out; docs/benchmarks-log.md, ninth session).
        ``test_api_fast_analytics`` holds every such answer to its model's own bytes."""
        return cls(orjson.dumps(document))


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Everything a list endpoint was asked, already validated by the HTTP edge."""

    sort_by: SortField
    sort_order: SortOrder
    limit: int
    offset: int
    severity: str | None = None
    category: str | None = None
    cause_type: str | None = None
    is_synthetic: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None


class IncidentReads(Protocol):
    """Lists answer :class:`JsonDocument` shaped as ``IncidentList`` (``HistoricalIncidentList``,
    ``RunIncidents``)."""

    async def list_all(
        self, tenant_id: str, query: ListQuery, topic: Topic | None, state: LifecycleState | None
    ) -> JsonDocument: ...
    async def active(self, tenant_id: str, query: ListQuery) -> JsonDocument: ...
    async def resolved(self, tenant_id: str, query: ListQuery) -> JsonDocument: ...
    async def historical(
        self, tenant_id: str, query: ListQuery, retention_days: int
    ) -> JsonDocument: ...
    async def by_run(self, tenant_id: str, run_id: str) -> JsonDocument: ...
    async def detail(self, tenant_id: str, incident_id: uuid.UUID) -> IncidentDetail: ...
    async def detail_json(self, tenant_id: str, incident_id: uuid.UUID) -> JsonDocument: ...


class IncidentCommandsPort(Protocol):
    async def acknowledge(
        self, principal: Principal, incident_id: uuid.UUID, notes: str | None
    ) -> CommandAccepted: ...
    async def resolve(
        self,
        principal: Principal,
        incident_id: uuid.UUID,
        notes: str | None,
        method: CommandResolutionMethod | None,
    ) -> CommandAccepted: ...


class EvidenceReads(Protocol):
    async def evidence(self, tenant_id: str, incident_id: uuid.UUID) -> Evidence: ...
    async def proof(self, tenant_id: str, incident_id: uuid.UUID) -> Proof: ...
    async def timeline(self, tenant_id: str, incident_id: uuid.UUID) -> IncidentTimeline: ...


class LearningsReads(Protocol):
    async def learnings(self, tenant_id: str, incident_id: uuid.UUID) -> Learnings: ...


class RequestScopePort(Protocol):
    """One request's database connection and the analytics, cost and notification-channel use
    cases on it."""

    @property
    def connection(self) -> Any: ...
    @property
    def analytics(self) -> IncidentAnalyticsPort: ...
    @property
    def costs(self) -> CostQueriesPort: ...
    @property
    def notification_channels(self) -> NotificationChannelsPort: ...


class IncidentScopePort(Protocol):
    """One request's incident use cases, sharing one database connection."""

    @property
    def incidents(self) -> IncidentReads: ...
    @property
    def commands(self) -> IncidentCommandsPort: ...
    @property
    def evidence(self) -> EvidenceReads: ...
    @property
    def learnings(self) -> LearningsReads: ...


class ReadScopePort(Protocol):
    """The reads that may come from the read replica (docs/operations-gateway.md#read-replica),
    on one connection: incident lists and detail, analytics, costs."""

    @property
    def incidents(self) -> IncidentReads: ...
    @property
    def analytics(self) -> IncidentAnalyticsPort: ...
    @property
    def costs(self) -> CostQueriesPort: ...


T = TypeVar("T")


class PoolUsageView(Protocol):
    @property
    def size(self) -> int: ...
    @property
    def checked_out(self) -> int: ...
    @property
    def overflow(self) -> int: ...


class GatewayPort(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def verifier(self) -> TokenVerifier: ...
    @property
    def exports(self) -> ExportsPort: ...
    def connection(self) -> AbstractAsyncContextManager[Any]: ...
    def scope(self) -> AbstractAsyncContextManager[RequestScopePort]: ...
    def incident_scope(self) -> AbstractAsyncContextManager[IncidentScopePort]: ...
    def read_scope(self) -> AbstractAsyncContextManager[ReadScopePort]: ...
    async def read(self, work: Callable[[ReadScopePort], Awaitable[T]]) -> T: ...
    async def ready(self) -> None: ...
    def pool_usage(self) -> PoolUsageView: ...
    def admit(self, tenant_id: str, command: bool) -> None: ...
