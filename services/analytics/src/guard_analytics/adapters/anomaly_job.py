"""The anomaly job (L3): spend from the rollups → detector → cost.anomaly_detected events.

Spike and drift look at complete days, so they run once per new UTC day; budget thresholds look
at current spend and run every cycle. A finding already in the published ledger is not sent
again; one published but not yet recorded (a crash in between) is sent again with the same
deterministic event id, which ingest skips as a duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from guard_analytics.drivers.spend import ENTITY_COLUMNS, SpendRepository
from guard_analytics.engines.anomalies import BudgetCheck, Entity, Finding, budget, drift, spike
from guard_contracts.events import MAX_DEVIATION_PCT, CostAnomalyDetected, anomaly_event_id
from guard_contracts.money import micros_to_usd

log = logging.getLogger(__name__)
#: Days of history the spike/drift rules need: 3 drift days + 6 more of the week + 30 of baseline.
HISTORY_DAYS = 40
BUDGET_ENTITY = {"tenant": "tenant", "feature": "feature", "user": "user"}


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def daily_findings(conn: asyncpg.Connection[Any], today: date) -> list[tuple[str, Finding]]:
    """Spike and drift findings for the last complete day, every tenant and entity."""
    repo = SpendRepository(conn)
    day = today - timedelta(days=1)
    findings: list[tuple[str, Finding]] = []
    for entity_type in ENTITY_COLUMNS:
        series: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
        for row in await repo.daily_by_entity(
            entity_type, _midnight(today - timedelta(HISTORY_DAYS))
        ):
            series[(row.tenant_id, row.entity_id)][row.day] = row.cost_micros
        firsts = await repo.first_days(entity_type)
        for (tenant, entity_id), daily in series.items():
            entity = Entity(entity_type, entity_id)
            for rule in (spike, drift):
                found = rule(entity, daily, firsts.get((tenant, entity_id)), day)
                if found is not None:
                    findings.append((tenant, found))
    return findings


async def budget_findings(
    conn: asyncpg.Connection[Any], now: datetime
) -> list[tuple[str, Finding]]:
    """Budget thresholds against spend so far today and this month (current hour included)."""
    repo = SpendRepository(conn)
    today = now.date()
    day_start, month_start = _midnight(today), _midnight(today.replace(day=1))
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    findings: list[tuple[str, Finding]] = []
    for row in await repo.budgets():
        entity_type = BUDGET_ENTITY.get(row.budget_type)
        if entity_type is None:
            continue
        entity_id = row.tenant_id if entity_type == "tenant" else row.entity_id
        limits = (
            (
                "daily",
                row.daily_limit_micros,
                day_start,
                day_start + timedelta(days=1),
                today.isoformat(),
            ),
            ("monthly", row.monthly_limit_micros, month_start, next_month, today.strftime("%Y-%m")),
        )
        for kind, limit, start, period_end, period in limits:
            if limit is None:
                continue
            spent = await repo.spend_between(row.tenant_id, entity_type, entity_id, start, end)
            check = BudgetCheck(
                entity=Entity(entity_type, entity_id),
                limit_kind=kind,
                limit_micros=limit,
                spent_micros=spent,
                warn_pct=row.warn_threshold_pct,
                hard_limit=row.hard_limit_enabled,
                period=period,
                window_start=start,
                window_end=period_end,
            )
            findings.extend((row.tenant_id, f) for f in budget(check))
    return findings


def to_event(tenant_id: str, finding: Finding, now: datetime) -> CostAnomalyDetected:
    entity = finding.entity
    deviation = (
        None
        if finding.deviation_pct is None
        # A tiny baseline can make the deviation larger than the event (and the column) holds:
        # it is capped there, still far past every severity level.
        else max(
            -MAX_DEVIATION_PCT,
            min(MAX_DEVIATION_PCT, Decimal(str(round(finding.deviation_pct, 2)))),
        )
    )
    return CostAnomalyDetected(
        event_id=anomaly_event_id(
            tenant_id, finding.anomaly_type, entity.entity_type, entity.entity_id, finding.period
        ),
        tenant_id=tenant_id,
        occurred_at=now,
        anomaly_type=finding.anomaly_type,
        entity_type=entity.entity_type,
        entity_id=entity.entity_id,
        current_usd=micros_to_usd(finding.current_micros),
        expected_usd=micros_to_usd(finding.expected_micros),
        deviation_pct=deviation,
        threshold=micros_to_usd(finding.threshold_micros),
        severity=finding.severity,
        window_start=finding.window_start,
        window_end=finding.window_end,
    )


async def new_events(
    conn: asyncpg.Connection[Any], findings: list[tuple[str, Finding]], now: datetime
) -> list[tuple[CostAnomalyDetected, str]]:
    """The findings not yet in the published ledger, as events with their period."""
    repo = SpendRepository(conn)
    by_tenant: dict[str, list[tuple[CostAnomalyDetected, str]]] = defaultdict(list)
    covered: dict[uuid.UUID, list[tuple[str, uuid.UUID, str, str, str, str, datetime]]] = {}
    for tenant, finding in findings:
        event = to_event(tenant, finding, now)
        by_tenant[tenant].append((event, finding.period))
        e = finding.entity
        covered[event.event_id] = [
            (tenant, anomaly_event_id(tenant, kind, e.entity_type, e.entity_id, period),
             kind.value, e.entity_type, e.entity_id, period, now)
            for kind, period in finding.covers
        ]  # fmt: skip
    fresh: list[tuple[CostAnomalyDetected, str]] = []
    for tenant, events in by_tenant.items():
        missing = await repo.unpublished(tenant, [e.event_id for e, _ in events])
        fresh.extend((e, p) for e, p in events if e.event_id in missing)
    # Lower budget levels crossed together with a fresh one count as fired for their period
    # (recorded in the caller's transaction, so they roll back with it).
    await repo.mark_published([row for e, _ in fresh for row in covered.get(e.event_id, [])])
    return fresh


async def record_published(
    conn: asyncpg.Connection[Any], events: list[tuple[CostAnomalyDetected, str]], now: datetime
) -> None:
    await SpendRepository(conn).mark_published(
        [
            (e.tenant_id, e.event_id, e.anomaly_type.value, e.entity_type, e.entity_id, p, now)
            for e, p in events
        ]
    )
