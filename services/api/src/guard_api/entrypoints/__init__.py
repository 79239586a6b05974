"""The HTTP edge. Every module here that serves endpoints exposes a module-level ``router``;
``ROUTERS`` lists them and ``guard_api.main.create_app`` includes them in this order.

Order: routers with fixed paths under ``/api/v1/incidents`` (``/active``, ``/patterns``, …) come
before ``incident_item``, whose ``/{incident_id}`` would otherwise also match them (it answers 422
for a malformed id rather than 404, so it cannot be typed as ``{incident_id:uuid}``). A new
router goes anywhere before ``incident_item``.
"""

from __future__ import annotations

from fastapi import APIRouter

from guard_api.entrypoints import (
    analytics_routes,
    costs_routes,
    export_history,
    exports_routes,
    health,
    incident_item,
    incident_lists,
    notification_channels,
)

ROUTERS: list[APIRouter] = [
    health.router,
    export_history.router,
    exports_routes.router,
    costs_routes.router,
    notification_channels.router,
    incident_lists.router,
    analytics_routes.router,
    incident_item.router,  # last: /{incident_id}
]
