"""A log call whose ``extra`` names an attribute of the LogRecord itself (``created``, ``name``,
``msg``, ``module`` …) raises KeyError inside the service instead of logging: every literal
``extra={...}`` in the services' and libraries' code is checked here."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESERVED = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {"message", "asctime"}


def test_no_log_extra_overwrites_a_log_record_attribute() -> None:
    clashes = []
    files = sorted(ROOT.glob("*/*/src/**/*.py"))
    assert len(files) > 100  # the glob found the code
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "extra"
                and isinstance(node.value, ast.Dict)
            ):
                for key in node.value.keys:
                    if isinstance(key, ast.Constant) and key.value in RESERVED:
                        clashes.append(f"{path.relative_to(ROOT)}: {key.value!r}")
    assert not clashes, "log extras that LogRecord refuses:\n" + "\n".join(clashes)
