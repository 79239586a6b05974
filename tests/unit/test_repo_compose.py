"""docker-compose.yml cannot run here (no Docker engine); check it by reading instead."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from guard_contracts.topics import DEFAULT_TOPICS

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ["ingest", "analytics", "exporter", "notifier", "api"]


def test_uses_the_official_images() -> None:
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:4.")
    assert SERVICES["postgres"]["image"].startswith("postgres:")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_dependency_exists_with_a_valid_condition(name: str) -> None:
    for dependency, spec in SERVICES[name].get("depends_on", {}).items():
        assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"
        assert spec["condition"] in {
            "service_started",
            "service_healthy",
            "service_completed_successfully",
        }
        if spec["condition"] == "service_healthy":
            assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_application_service_is_wired(name: str) -> None:
    service = SERVICES[name]
    assert service["command"] == ["python", "-m", f"guard_{name}"]
    assert importlib.util.find_spec(f"guard_{name}.__main__") is not None
    assert "healthcheck" in service
    env = service["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", ["migrate", "topics"])
def test_one_shot_steps_run_project_modules(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[:2] == ["python", "-m"]
    assert importlib.util.find_spec(command[2]) is not None


def test_database_credentials_match() -> None:
    pg = SERVICES["postgres"]["environment"]
    url = SERVICES["migrate"]["environment"]["DATABASE_URL"]
    assert (
        f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}" in url
    )


def test_kafka_is_kraft_and_does_not_create_topics_implicitly() -> None:
    env = SERVICES["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert len(DEFAULT_TOPICS.all()) == 11  # with guard.notification-commands.v1
