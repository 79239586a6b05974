"""The CI fuzz run the schemathesis modules share: derandomised, every applicable check.

Determinism: hypothesis runs with ``derandomize=True`` (the examples are a function of the test
function and the schema, never of the clock or a random seed) and no example database, so a red
run is red on every re-run and on every machine, and a change to an unrelated module cannot make
it fail. The wider, randomised exploration lives outside CI in ``bench/fuzz/run_schemathesis.py``
(docs/api/README.md).

Checks: every schemathesis check that judges one response — server errors, status codes, content
types, headers, response schemas, negative data rejected, positive data accepted, missing
required header, ignored auth, unsupported methods and their Allow header. The stateful ones (use_after_free,
ensure_resource_availability, object_level_authorization) need API links the spec does not
declare; the exploratory script runs the stateful phase too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks

#: Checks that need links between operations (an id created by one, read by another); the spec
#: declares none, so they have nothing to judge here.
STATEFUL = frozenset(
    {"use_after_free", "ensure_resource_availability", "object_level_authorization"}
)


def _all_checks() -> list[CheckFunction]:
    load_all_checks()
    return [c for c in CHECKS.get_all() if getattr(c, "__name__", "") not in STATEFUL]  # type: ignore[misc]


ALL_CHECKS = _all_checks()
Adjust = Callable[[schemathesis.Case, GenerationMode], None]


def load(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def select(
    schema: schemathesis.BaseSchema, keep: Callable[[str, str], bool]
) -> list[schemathesis.APIOperation]:
    """The operations whose (METHOD, path) ``keep`` accepts."""
    operations = (result.ok() for result in schema.get_all_operations())
    return [op for op in operations if keep(op.method.upper(), op.path)]


def fuzz(
    base_url: str,
    operations: Iterable[schemathesis.APIOperation],
    mode: GenerationMode,
    headers: dict[str, str],
    max_examples: int,
    adjust: Adjust | None = None,
) -> list[str]:
    """Exercise each operation in ``mode``; returns one line per failing operation."""
    failures: list[str] = []
    for operation in operations:
        # The token is a fixed header, so negative mode never "violates" it by leaving it out
        # (a request the server then sees with the token all the same).
        @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
        @settings(
            max_examples=max_examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            if adjust is not None:
                adjust(case, mode)
            case.call_and_validate(base_url=base_url, headers=headers, checks=ALL_CHECKS)

        try:
            exercise()
        except Unsatisfiable:
            # No invalid input exists for an operation without parameters (/healthz).
            if mode is not GenerationMode.NEGATIVE:
                failures.append(f"{operation.method.upper()} {operation.path}: unsatisfiable")
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures
