"""Channel secrets sealed at rest: sealing, rotation, legacy rows, and the settings that demand
keys outside development (docs/notifications.md, "The signing secret")."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from guard_contracts.notifications import new_secret
from guard_notifier.config import DEV_SECRET_KEY, Settings
from guard_notifier.drivers.sealing import SecretBox, SecretUnreadable

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))


@given(st.text(min_size=1, max_size=200))
def test_what_is_sealed_opens_to_itself(secret: str) -> None:
    box = SecretBox([NEW])
    assert box.open(box.seal(secret)) == secret


def test_the_stored_value_does_not_show_the_secret() -> None:
    secret = new_secret()
    sealed = SecretBox([NEW]).seal(secret)
    assert not sealed.startswith("whsec_")
    assert secret.removeprefix("whsec_") not in sealed
    # Two seals of one secret differ (a fresh IV each time), so equal secrets are not visible.
    assert SecretBox([NEW]).seal(secret) != sealed


def test_a_secret_stored_before_sealing_still_opens_and_is_resealed() -> None:
    plain = new_secret()
    box = SecretBox([NEW])
    assert box.open(plain) == plain
    resealed = box.resealed(plain)
    assert resealed is not None
    assert resealed != plain
    assert SecretBox([NEW]).open(resealed) == plain


def test_rotation_new_key_first_reseals_what_the_old_key_sealed() -> None:
    secret = new_secret()
    by_old = SecretBox([OLD]).seal(secret)
    both = SecretBox([NEW, OLD])
    assert both.open(by_old) == secret  # every configured key opens
    rotated = both.resealed(by_old)
    assert rotated is not None
    assert SecretBox([NEW]).open(rotated) == secret  # the old key can now be dropped
    with pytest.raises(SecretUnreadable):
        SecretBox([OLD]).open(rotated)
    # Sealed with the newest key already, or erased (a deleted channel): nothing to do.
    assert both.resealed(rotated) is None
    assert both.resealed("") is None


def test_a_secret_no_key_opens_is_reported_not_guessed() -> None:
    sealed = SecretBox([OLD]).seal(new_secret())
    box = SecretBox([NEW, OTHER])
    with pytest.raises(SecretUnreadable, match="GUARD_NOTIFIER_SECRET_KEYS"):
        box.open(sealed)
    with pytest.raises(SecretUnreadable):
        box.resealed(sealed)
    with pytest.raises(SecretUnreadable):
        box.open("not a token at all ✗")


def _settings(**values: Any) -> Settings:
    return Settings(**values)


@pytest.fixture(autouse=True)
def _no_notifier_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GUARD_NOTIFIER_"):
            monkeypatch.delenv(name)


def test_production_without_keys_refuses_naming_the_variable() -> None:
    with pytest.raises(
        ValidationError, match="GUARD_NOTIFIER_SECRET_KEYS is required in production"
    ):
        _settings()


def test_production_refuses_the_public_development_key() -> None:
    with pytest.raises(ValidationError, match="public development key is refused"):
        _settings(secret_keys=f"{NEW},{DEV_SECRET_KEY}")


def test_a_malformed_key_is_named_by_its_position() -> None:
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        _settings(secret_keys=f"{NEW}, not-a-key")


def test_keys_are_read_newest_first_and_blank_means_unset() -> None:
    assert _settings(secret_keys=f" {NEW} ,{OLD}").secret_key_list() == [NEW, OLD]
    development = _settings(environment="development", secret_keys="  ")
    assert development.secret_keys is None
    assert development.secret_key_list() == [DEV_SECRET_KEY]


def test_the_notifier_process_refuses_to_start_in_production_without_keys() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_NOTIFIER_")}
    run = subprocess.run(
        [sys.executable, "-m", "guard_notifier"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.startswith("guard-notifier: refusing to start: GUARD_NOTIFIER_SECRET_KEYS")
