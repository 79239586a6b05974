"""Acknowledge and resolve (docs/product/rest-api.md): check ownership, publish the command, answer its id.

The API never changes an incident itself; ingest applies the command from the topic.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from guard_api.adapters.auth import Principal
from guard_api.adapters.errors import Conflict, NotFound, Unavailable
from guard_api.drivers.commands import CommandPublisher, PublishFailed
from guard_api.drivers.incidents import IncidentRepository
from guard_contracts.api.common import CommandAccepted
from guard_contracts.enums import CommandResolutionMethod, LifecycleState
from guard_contracts.events import IncidentAcknowledge, IncidentResolve
from guard_contracts.wire import encode


class IncidentCommands:
    def __init__(self, repository: IncidentRepository, publisher: CommandPublisher) -> None:
        self._repo = repository
        self._publisher = publisher

    async def _publish(self, tenant_id: str, payload: bytes) -> None:
        try:
            await self._publisher.publish(tenant_id, payload)
        except PublishFailed as exc:
            raise Unavailable("unavailable", f"the command was not accepted: {exc}") from exc

    async def _state(self, principal: Principal, incident_id: UUID) -> LifecycleState:
        state = await self._repo.state_of(principal.tenant_id, incident_id)
        if state is None:
            raise NotFound("incident")
        return LifecycleState(state)

    async def acknowledge(
        self, principal: Principal, incident_id: UUID, notes: str | None
    ) -> CommandAccepted:
        if await self._state(principal, incident_id) is LifecycleState.RESOLVED:
            # RESOLVED is final; ingest would dead-letter the command, so say so now.
            raise Conflict("illegal_transition", "a resolved incident cannot be acknowledged")
        command = IncidentAcknowledge(
            event_id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            occurred_at=datetime.now(UTC),
            incident_id=incident_id,
            actor_id=principal.subject,
            notes=notes,
        )
        await self._publish(principal.tenant_id, encode(command))
        return CommandAccepted(command_id=command.event_id, incident_id=incident_id)

    async def resolve(
        self,
        principal: Principal,
        incident_id: UUID,
        notes: str | None,
        method: CommandResolutionMethod | None,
    ) -> CommandAccepted:
        # Resolving a resolved incident is a no-op in ingest, so it is accepted like any other.
        await self._state(principal, incident_id)
        command = IncidentResolve(
            event_id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            occurred_at=datetime.now(UTC),
            incident_id=incident_id,
            actor_id=principal.subject,
            notes=notes,
            resolution_method=method,
        )
        await self._publish(principal.tenant_id, encode(command))
        return CommandAccepted(command_id=command.event_id, incident_id=incident_id)
