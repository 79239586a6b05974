"""Schemathesis over the notification-channel operations (the main run leaves them to this one).

A live uvicorn serves the app in production mode; every operation gets generated valid and
invalid input with a valid token (derandomised, every response check of fuzz.py) and must answer
only documented statuses with bodies that match the schema, never 5xx. Commands go to this
module's topic; a valid ``?wait=`` becomes 0.

Whether a create's URL is acceptable depends on what its host resolves to, which no schema can
say; so a valid create gets a URL naming a public address literally (no DNS lookup), and the
positive-data check holds it to a 202. Refused URLs are covered by test_api_notification_channels.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis import GenerationMode

from guard_api.adapters.notification_channels_ports import MAX_WAIT_SECONDS
from guard_api.config import Environment
from guard_api.main import create_app
from guard_contracts.topics import Topics

from . import fuzz
from .conftest import api_settings, auth, serve_on_loopback

pytestmark = pytest.mark.integration
TENANT = "schemathesis-channels"
#: A globally routable address written literally, so the URL rule accepts it without DNS.
PUBLIC_URL = "https://93.184.216.34/guard-hook"


@pytest.fixture(scope="module")
def live_channels_api(database_url: str, kafka_bootstrap: str, topics: Topics) -> Iterator[str]:
    base = api_settings(database_url, kafka_bootstrap, topics, Environment.PRODUCTION)
    # Commands go to this module's topic, never the shared default one.
    update = {"topic_notification_commands": topics.notification_commands}
    with serve_on_loopback(create_app(base.model_copy(update=update))) as url:
        yield url


def is_notification_channel(_: str, path: str) -> bool:
    return path.startswith("/api/v1/notification-channels")


def _adjust(case: schemathesis.Case, mode: GenerationMode) -> None:
    wait = case.query.get("wait") if isinstance(case.query, dict) else None
    # A valid wait becomes 0 (an invalid one is left for the API to refuse).
    if isinstance(wait, int | float) and 0 <= wait <= MAX_WAIT_SECONDS:
        case.query["wait"] = 0
    if mode is GenerationMode.POSITIVE and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = PUBLIC_URL


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_channel_operations_conform_to_the_openapi(
    live_channels_api: str, mode: GenerationMode
) -> None:
    operations = fuzz.select(fuzz.load(live_channels_api), is_notification_channel)
    assert len(operations) == 6  # create, list, read, delete, test, deliveries
    failures = fuzz.fuzz(
        live_channels_api, operations, mode, auth(TENANT), max_examples=25, adjust=_adjust
    )
    assert not failures, "\n\n".join(failures)
