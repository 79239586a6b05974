"""docs/events holds the generated contracts; regenerating them from the code changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from guard_contracts.schema import TOPICS, asyncapi_document, rendered_docs
from guard_contracts.topics import DEFAULT_TOPICS, Topics
from guard_contracts.wire import EVENT_TYPES

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"
REGENERATE = "python -m guard_contracts.schema docs/events"


def test_the_committed_event_contracts_are_up_to_date() -> None:
    expected = rendered_docs()
    committed = {
        str(p.relative_to(DOCS)): p.read_text(encoding="utf-8")
        for p in DOCS.rglob("*")
        if p.is_file() and p.suffix == ".json"
    }
    assert sorted(committed) == sorted(expected), f"run `{REGENERATE}`"
    stale = [name for name, text in expected.items() if committed[name] != text]
    assert stale == [], f"stale: {stale}; run `{REGENERATE}`"


def test_every_topic_and_every_event_is_published() -> None:
    document = asyncapi_document()
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == set(DEFAULT_TOPICS.all())
    assert {spec.field for spec in TOPICS} == set(Topics.__dataclass_fields__)
    carried = {name for spec in TOPICS for name in spec.messages}
    assert set(EVENT_TYPES) <= carried  # every consumed event has a topic
    assert carried <= set(document["components"]["messages"])


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = asyncapi_document()

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(document):
        target: object = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict), ref
            assert part in target, ref
            target = target[part]
    for operation in document["operations"].values():
        assert operation["action"] in {"send", "receive"}


def test_a_consumed_event_schema_describes_what_the_consumer_accepts() -> None:
    schema = json.loads((DOCS / "schemas" / "cost.recorded.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"event_id", "tenant_id", "occurred_at", "model", "cost_usd"} <= set(schema["required"])
