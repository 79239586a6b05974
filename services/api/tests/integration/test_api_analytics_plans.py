"""The analytics statements keep a linear plan when PostgreSQL plans them generically.

The gateway's statements are prepared; after five runs PostgreSQL may reuse one generic plan
costed for an average tenant. A statement that joins an intermediate result with another can
then nest its loops and grow with the square of a large tenant's rows (recurring over 90 days:
1.2 s instead of 0.1 s in bench/analytics). These tests plan the statements generically and read
the plan.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import TextClause
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from guard_api.drivers import analytics

from .conftest import T0

pytestmark = pytest.mark.integration


async def _generic_plan(db: asyncpg.Connection[Any], statement: TextClause, **values: Any) -> str:
    compiled = statement.compile(dialect=asyncpg_dialect())  # ``$1, $2, …`` as the gateway sends
    await db.execute("SET plan_cache_mode = force_generic_plan")
    try:
        rows = await db.fetch(
            f"EXPLAIN {compiled}", *(values[n] for n in compiled.positiontup or [])
        )
    finally:
        await db.execute("RESET plan_cache_mode")
    return "\n".join(r[0] for r in rows)


SLA = {"sla_critical": Decimal(900), "sla_high": Decimal(3600), "sla_medium": Decimal(14400),
       "sla_low": Decimal(86400)}  # fmt: skip
STATEMENTS = {
    "recurring": (analytics._RECURRENCE, {"threshold": 2, "limit": 20}),
    "patterns": (
        analytics._PATTERN_GROUPS,
        {
            "spike_from": T0 - timedelta(hours=1),
            "spike_severities": ["critical", "high"],
            "open_states": ["ACTIVE", "ACKED"],
            "ids": 10,
            "limit": 10,
        },
    ),
    "metrics": (analytics._METRICS, {**SLA, "open_states": ["ACTIVE", "ACKED"]}),
    "cost impact": (analytics._COST_IMPACT, {}),
    "trend": (analytics._BY_DAY, {"job": "incidents"}),
    "distribution": (analytics._BY_DIMENSION, {"job": "incidents"}),
}


@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_generic_plans_stay_linear_and_read_only_the_edges(
    db: asyncpg.Connection[Any], tenant_id: str, insert_incident: Any, name: str
) -> None:
    for k in range(12):
        await insert_incident(
            tenant_id,
            created_at=T0 - timedelta(days=k % 4, minutes=k),
            fingerprint=f"fp-{k % 3}",
            resolution_method="manual" if k % 2 else None,
        )
    statement, extra = STATEMENTS[name]
    start, end = T0 - timedelta(days=30, hours=5), T0
    low, high = analytics.day_interior(start, end)
    plan = await _generic_plan(
        db, statement, tenant=tenant_id, low=low, high=high, start=start, end=end, **extra
    )
    # No join for a generic plan to nest (recurring once took 1.2 s for a large tenant)...
    assert "Join Filter" not in plan, plan
    assert not re.search(r"(Hash|Merge) Join", plan), plan
    # ...and the partial edge days are index ranges, not the whole window read and filtered
    # (cost impact once took 22 ms instead of 2).
    assert not re.search(r"Filter: .*created_at.* OR ", plan), plan
