"""The ingest's topic names: every GUARD_INGEST_TOPIC_* override reaches the topics it uses."""

from __future__ import annotations

import dataclasses

import pytest

from guard_contracts.topics import Topics
from guard_ingest.config import Settings


def test_every_topic_setting_reaches_the_topics_view(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [
        name.removeprefix("topic_") for name in Settings.model_fields if name.startswith("topic_")
    ]
    for name in names:
        monkeypatch.setenv(f"GUARD_INGEST_TOPIC_{name.upper()}", f"custom.{name}")
    topics = Settings().topics()
    assert {name: getattr(topics, name) for name in names} == {n: f"custom.{n}" for n in names}
    # Topics the ingest neither reads nor writes keep their defaults.
    untouched = {f.name for f in dataclasses.fields(Topics)} - set(names)
    assert all(getattr(topics, n) == getattr(Topics(), n) for n in untouched)
    assert "export_results" in names
