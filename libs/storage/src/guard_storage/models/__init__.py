"""L7: every table, imported here so ``Base.metadata`` knows them all."""

from guard_storage.models.analytics import (
    AnalyticsWatermark,
    CostRollupDimensionDaily,
    CostRollupHourly,
    CostRollupTenantHourly,
    IncidentCostDaily,
    IncidentMetricDaily,
    IncidentRecurrenceDaily,
)
from guard_storage.models.base import Base
from guard_storage.models.exports import ExportJob
from guard_storage.models.ingest import (
    Budget,
    CostAnomaly,
    CostEvent,
    CostEventKey,
    Incident,
    IncidentEvent,
    IngestWatermark,
    KillswitchEvent,
    OutboxMessage,
    ProcessedEvent,
)
from guard_storage.models.notifier import (
    NotificationChannel,
    NotificationDelivery,
    NotificationSubscription,
)

__all__ = [
    "AnalyticsWatermark",
    "Base",
    "Budget",
    "CostAnomaly",
    "CostEvent",
    "CostEventKey",
    "CostRollupDimensionDaily",
    "CostRollupHourly",
    "CostRollupTenantHourly",
    "ExportJob",
    "Incident",
    "IncidentCostDaily",
    "IncidentEvent",
    "IncidentMetricDaily",
    "IncidentRecurrenceDaily",
    "IngestWatermark",
    "KillswitchEvent",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationSubscription",
    "OutboxMessage",
    "ProcessedEvent",
]
