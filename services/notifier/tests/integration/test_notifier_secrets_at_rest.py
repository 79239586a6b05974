"""Channel signing secrets at rest, against the real Kafka and PostgreSQL: sealed when the
channel is created, opened to sign, erased when it is deleted, and re-sealed with the newest key
when a notifier starts sending (rows written before sealing existed, and key rotation).

The rotation test has a database of its own: re-sealing touches every channel of a database,
and the channels of the other notifier tests must keep the key their notifier holds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet
from standardwebhooks.webhooks import Webhook

from guard_contracts.notifications import NotificationChannelDelete, new_secret
from guard_contracts.topics import Topics
from guard_devtools.notifications import (
    command_bytes,
    create_channel_command,
    incident_change,
    produce,
)
from guard_devtools.receiver import Receiver
from guard_devtools.services import eventually, run_notifier
from guard_notifier.config import DEV_SECRET_KEY
from guard_notifier.drivers.sealing import SecretBox
from guard_storage.db import to_asyncpg_dsn

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _stored(db: asyncpg.Connection[Any], channel_id: uuid.UUID) -> str | None:
    value = await db.fetchval(
        "SELECT secret FROM notification_channels WHERE channel_id = $1", channel_id
    )
    return None if value is None else str(value)


async def test_sealed_when_created_signs_deliveries_and_is_erased_on_delete(
    receiver: Receiver, kafka_bootstrap: str, database_url: str, topics: Topics,
    db: asyncpg.Connection[Any], tenant_id: str,
) -> None:  # fmt: skip
    command = create_channel_command(tenant_id, receiver.url("sealed"), name="sealed")
    receiver.expect_secret("sealed", command.secret)
    async with run_notifier(kafka_bootstrap, database_url, topics):
        await produce(kafka_bootstrap, topics.notification_commands, [command_bytes(command)])
        stored = await eventually(lambda: _stored(db, command.channel_id), bool)
        assert stored is not None
        assert stored != command.secret
        assert not stored.startswith("whsec_")
        assert command.secret.removeprefix("whsec_") not in stored
        assert SecretBox([DEV_SECRET_KEY]).open(stored) == command.secret

        # It still signs: the receiver verifies with the secret the 202 answer showed.
        await produce(kafka_bootstrap, topics.incident_changes, [
            (tenant_id, incident_change(tenant_id)[1])])  # fmt: skip
        (got,) = await eventually(lambda: _now(receiver.delivered("sealed")), lambda r: len(r) == 1)
        assert got.verified is True
        assert Webhook(command.secret).verify(got.body, got.headers)["type"] == "incident.opened"

        delete = NotificationChannelDelete(
            event_id=uuid.uuid4(), tenant_id=tenant_id, occurred_at=datetime.now(UTC),
            channel_id=command.channel_id, actor_id="test",
        )  # fmt: skip
        await produce(kafka_bootstrap, topics.notification_commands, [command_bytes(delete)])
        assert await eventually(lambda: _stored(db, command.channel_id), lambda s: s == "") == ""


async def _now(value: Any) -> Any:
    return value


async def _insert_channel(
    db: asyncpg.Connection[Any], tenant: str, url: str, stored_secret: str
) -> uuid.UUID:
    channel_id = uuid.uuid4()
    now = datetime.now(UTC)
    await db.execute(
        """INSERT INTO notification_channels (channel_id, tenant_id, name, kind, url, secret,
             status, created_by, created_at, updated_at)
           VALUES ($1, $2, $3, 'webhook', $4, $5, 'active', 'test', $6, $6)""",
        channel_id, tenant, f"c-{channel_id.hex[:8]}", url, stored_secret, now,
    )  # fmt: skip
    await db.execute(
        """INSERT INTO notification_subscriptions (channel_id, tenant_id, change_types,
             min_severity, categories) VALUES ($1, $2, '{}', NULL, '{}')""",
        channel_id, tenant,
    )  # fmt: skip
    return channel_id


async def test_a_starting_sender_reseals_old_rows_with_the_newest_key_and_they_still_sign(
    receiver: Receiver, kafka_bootstrap: str, module_database_url: str, topics: Topics, tenant_id: str,
) -> None:  # fmt: skip
    new_key = Fernet.generate_key().decode()
    plain, by_old_key = new_secret(), new_secret()
    db = await asyncpg.connect(to_asyncpg_dsn(module_database_url))
    try:
        # One row as written before sealing existed, one sealed with the key being retired.
        legacy = await _insert_channel(db, tenant_id, receiver.url("legacy"), plain)
        old = await _insert_channel(
            db, tenant_id, receiver.url("old-key"), SecretBox([DEV_SECRET_KEY]).seal(by_old_key)
        )
        receiver.expect_secret("legacy", plain)
        receiver.expect_secret("old-key", by_old_key)
        keys = f"{new_key},{DEV_SECRET_KEY}"  # the new key first, the old one still there
        async with run_notifier(kafka_bootstrap, module_database_url, topics, secret_keys=keys):

            async def both_resealed() -> list[str | None]:
                return [await _stored(db, legacy), await _stored(db, old)]

            stored = await eventually(
                both_resealed,
                lambda values: (
                    all(v and not v.startswith("whsec_") for v in values)
                    and all(_opens_with(new_key, v) for v in values)
                ),
            )
            # Only the new key is needed from now on.
            assert [SecretBox([new_key]).open(v or "") for v in stored] == [plain, by_old_key]

            await produce(kafka_bootstrap, topics.incident_changes, [
                (tenant_id, incident_change(tenant_id)[1])])  # fmt: skip
            got = await eventually(
                lambda: _now(receiver.delivered("legacy") + receiver.delivered("old-key")),
                lambda r: len(r) == 2,
            )
            assert all(r.verified for r in got)
    finally:
        await db.close()


def _opens_with(key: str, stored: str | None) -> bool:
    try:
        SecretBox([key]).open(stored or "")
    except Exception:
        return False
    return True
