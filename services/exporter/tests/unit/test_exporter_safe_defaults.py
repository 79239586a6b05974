"""Safe by default: production unless told, and production refuses to sign without a real key."""

from __future__ import annotations

import pytest

from guard_exporter.config import Settings
from guard_exporter.main import load_settings


def test_the_default_environment_is_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUARD_EXPORTER_ENVIRONMENT", raising=False)
    monkeypatch.setenv("GUARD_EXPORTER_SIGNING_KEY", "A" * 43 + "=")
    assert Settings().environment == "production"


def test_production_without_a_key_refuses_to_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ENVIRONMENT", "SIGNING_KEY", "SIGNING_KEY_FILE"):
        monkeypatch.delenv(f"GUARD_EXPORTER_{name}", raising=False)
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    assert stopped.value.code == 2
    message = capsys.readouterr().err
    assert message.startswith("guard-exporter: refusing to start: GUARD_EXPORTER_SIGNING_KEY")
    assert "in production" in message


def test_development_must_be_asked_for_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_EXPORTER_ENVIRONMENT", "development")
    monkeypatch.delenv("GUARD_EXPORTER_SIGNING_KEY", raising=False)
    monkeypatch.delenv("GUARD_EXPORTER_SIGNING_KEY_FILE", raising=False)
    assert load_settings().environment == "development"
