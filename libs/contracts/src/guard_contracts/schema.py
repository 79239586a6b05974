"""JSON Schema export of every inbound event: ``python -m guard_contracts.schema [DIR]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from guard_contracts.wire import EVENT_TYPES


def event_schemas() -> dict[str, dict[str, Any]]:
    return {name: model.model_json_schema() for name, model in sorted(EVENT_TYPES.items())}


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in event_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in write_schemas(target):
        print(path)
