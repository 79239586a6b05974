"""The four CI fuzz modules together cover every operation the API publishes, each exactly once:
a new endpoint that no module selects fails here instead of going unfuzzed."""

from __future__ import annotations

import pytest

from guard_api.config import Environment, Settings
from guard_api.main import create_app

from .test_api_analytics_schemathesis import is_analytics
from .test_api_exports_schemathesis import is_export
from .test_api_notification_channels_schemathesis import is_notification_channel
from .test_api_schemathesis import OWN_OPERATIONS

pytestmark = pytest.mark.integration


def test_every_published_operation_is_fuzzed_by_exactly_one_module() -> None:
    spec = create_app(Settings(environment=Environment.DEVELOPMENT)).openapi()
    selectors = {
        "test_api_schemathesis": lambda m, p: (m, p) in OWN_OPERATIONS,
        "test_api_analytics_schemathesis": is_analytics,
        "test_api_exports_schemathesis": is_export,
        "test_api_notification_channels_schemathesis": is_notification_channel,
    }
    owners = {
        f"{method.upper()} {path}": [
            name for name, keep in selectors.items() if keep(method.upper(), path)
        ]
        for path, item in spec["paths"].items()
        for method in item
    }
    assert len(owners) >= 35
    wrong = {op: names for op, names in owners.items() if len(names) != 1}
    assert wrong == {}, "add each operation to exactly one schemathesis module's selection"
