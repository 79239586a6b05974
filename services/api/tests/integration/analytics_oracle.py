"""A plain-Python reference for the analytics endpoints, computed straight from raw rows.

It shares no code with guard_api or guard_analytics on purpose: if both agree, the rollups, the
edge queries and the engines are right.
"""

from __future__ import annotations

import calendar
import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def r2(x: Any, places: int = 2) -> float:
    q = Decimal(1).scaleb(-places)
    return float(Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP))


def cents(micros: int) -> int:
    return int((Decimal(micros) / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ms(x: Any) -> int:
    return int(Decimal(str(x)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def usd(micros: int) -> float:
    return float(Decimal(micros) / 1_000_000)


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def dur_ms(a: datetime, b: datetime) -> Decimal:
    d = b - a
    return Decimal(d.days * 86400_000_000 + d.seconds * 1_000_000 + d.microseconds) / 1000


# ---------------------------------------------------------------- incidents


def window(incs: list[dict[str, Any]], start: datetime, now: datetime) -> list[dict[str, Any]]:
    return [i for i in incs if start <= i["created_at"] <= now]


def patterns(incs: list[dict[str, Any]], now: datetime, hours: int, limit: int) -> dict[str, Any]:
    w = window(incs, now - timedelta(hours=hours), now)

    def mk(kind: str, dim: str, items: list[dict[str, Any]], conf: float) -> dict[str, Any]:
        items = sorted(items, key=lambda i: (i["created_at"], i["incident_id"]), reverse=True)
        ids = [str(i["incident_id"]) for i in items[:10]]
        return {
            "pattern_type": kind,
            "dimension": dim,
            "count": len(items),
            "incident_ids": ids,
            "confidence": r2(conf),
        }

    out: list[dict[str, Any]] = []
    cats: dict[str, list[Any]] = defaultdict(list)
    for i in w:
        cats[i["category"]].append(i)
    found = [
        mk("category_cluster", c, v, min(0.5 + 0.1 * (len(v) - 3), 0.95))
        for c, v in cats.items()
        if len(v) >= 3
    ]
    out += sorted(found, key=lambda p: (-p["count"], p["dimension"]))[:limit]
    sev: dict[str, list[Any]] = defaultdict(list)
    for i in w:
        if (
            i["severity"] in ("critical", "high")
            and i["lifecycle_state"] != "RESOLVED"
            and i["created_at"] >= now - timedelta(hours=1)
        ):
            sev[i["severity"]].append(i)
    found = [
        mk(
            "severity_spike",
            s,
            v,
            min((0.8 if s == "critical" else 0.7) + 0.05 * (len(v) - 3), 0.98),
        )
        for s, v in sev.items()
        if len(v) >= 3
    ]
    out += sorted(found, key=lambda p: (-p["count"], p["dimension"]))[:limit]
    runs: dict[str, list[Any]] = defaultdict(list)
    for i in w:
        if i["llm_run_id"]:
            runs[i["llm_run_id"]].append(i)
    found = [
        mk("cascade_failure", r, v, min(0.75 + 0.1 * (len(v) - 2), 0.95))
        for r, v in runs.items()
        if len(v) >= 2
    ]
    out += sorted(found, key=lambda p: (-p["count"], p["dimension"]))[:limit]
    return {"patterns": out, "incidents_analyzed": len(w), "window_hours": hours}


def recurring(
    incs: list[dict[str, Any]], now: datetime, days: int, th: int, limit: int
) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for i in window(incs, now - timedelta(days=days), now):
        groups[(i["category"], i["fingerprint"])].append(i)
    out = []
    for (cat, fp), items in groups.items():
        if len(items) < th:
            continue
        items.sort(key=lambda i: (i["created_at"], i["incident_id"]), reverse=True)
        dd = len({i["created_at"].date() for i in items})
        methods = Counter(i["resolution_method"] for i in items if i["resolution_method"])
        common = sorted(methods.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if methods else None
        out.append(
            {
                "category": cat,
                "fingerprint": fp,
                "total_occurrences": len(items),
                "distinct_days": dd,
                "occurrences_per_day": r2(len(items) / max(dd, 1)),
                "first_occurrence": items[-1]["created_at"].isoformat(),
                "last_occurrence": items[0]["created_at"].isoformat(),
                "recent_incident_ids": [str(i["incident_id"]) for i in items[:5]],
                "reopened_count": sum(1 for i in items if i["recurrence_of"]),
                "common_resolution_method": common,
            }
        )
    out.sort(key=lambda g: (-g["total_occurrences"], g["category"], g["fingerprint"]))
    out = out[:limit]
    return {
        "groups": out,
        "total_recurring": sum(g["total_occurrences"] for g in out),
        "baseline_days": days,
    }


def cost_impact(incs: list[dict[str, Any]], now: datetime, days: int, limit: int) -> dict[str, Any]:
    groups: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for i in window(incs, now - timedelta(days=days), now):
        if i["cost_impact_micros"] > 0:
            groups[(i["category"], i["resolution_method"])].append(i["cost_impact_micros"])
    rows = sorted(groups.items(), key=lambda kv: (-sum(kv[1]), kv[0][0], kv[0][1] or ""))[:limit]
    return {
        "summaries": [
            {
                "category": c,
                "resolution_method": m,
                "incident_count": len(v),
                "total_cost_impact": usd(sum(v)),
                "avg_cost_impact": r2(Decimal(sum(v)) / len(v) / 1_000_000),
            }
            for (c, m), v in rows
        ],
        "total_cost_impact": usd(sum(sum(v) for _, v in rows)),
        "baseline_days": days,
    }


SLA = {"critical": 3600, "high": 4 * 3600, "medium": 24 * 3600, "low": 72 * 3600}


def metrics(incs: list[dict[str, Any]], now: datetime, days: int) -> dict[str, Any]:
    w = window(incs, now - timedelta(days=days), now)
    ack = [dur_ms(i["created_at"], i["acked_at"]) for i in w if i["acked_at"]]
    res = [
        dur_ms(i["created_at"], i["resolved_at"]) for i in w if i["lifecycle_state"] == "RESOLVED"
    ]
    con = [dur_ms(i["created_at"], i["contained_at"]) for i in w if i["contained_at"]]
    met = breached = 0
    for i in w:
        target = Decimal(SLA[i["severity"]] * 1000)
        if i["lifecycle_state"] == "RESOLVED":
            if dur_ms(i["created_at"], i["resolved_at"]) <= target:
                met += 1
            else:
                breached += 1
        elif dur_ms(i["created_at"], now) > target:
            breached += 1

    def avg(v: list[Decimal]) -> int | None:
        return ms(sum(v) / len(v)) if v else None

    def pc(v: list[Decimal], q: float) -> int | None:
        return ms(percentile([float(x) for x in v], q)) if v else None

    return {
        "total_count": len(w),
        "active_count": sum(1 for i in w if i["lifecycle_state"] != "RESOLVED"),
        "acked_count": sum(1 for i in w if i["lifecycle_state"] == "ACKED"),
        "resolved_count": sum(1 for i in w if i["lifecycle_state"] == "RESOLVED"),
        **{f"{s}_count": sum(1 for i in w if i["severity"] == s) for s in SLA},
        "avg_time_to_ack_ms": avg(ack),
        "median_time_to_ack_ms": pc(ack, 0.5),
        "p90_time_to_ack_ms": pc(ack, 0.9),
        "avg_time_to_resolution_ms": avg(res),
        "median_time_to_resolution_ms": pc(res, 0.5),
        "p90_time_to_resolution_ms": pc(res, 0.9),
        "avg_time_to_containment_ms": avg(con),
        "median_time_to_containment_ms": pc(con, 0.5),
        "sla_met_count": met,
        "sla_breached_count": breached,
        "sla_compliance_rate": r2(Decimal(met) * 100 / (met + breached))
        if met + breached
        else None,
        "window_days": days,
    }


def _bucket(at: datetime, g: str) -> date:
    d = at.date()
    if g == "week":
        return d - timedelta(days=d.weekday())
    if g == "month":
        return d.replace(day=1)
    return d


def _all_buckets(start: datetime, now: datetime, g: str) -> list[date]:
    out, cur, last = [], _bucket(start, g), _bucket(now, g)
    while cur <= last:
        out.append(cur)
        cur = (
            (cur + timedelta(days=32)).replace(day=1)
            if g == "month"
            else (cur + timedelta(days=7 if g == "week" else 1))
        )
    return out


def historical(
    kind: str, incs: list[dict[str, Any]], now: datetime, days: int, g: str
) -> dict[str, Any]:
    start = now - timedelta(days=days)
    w = window(incs, start, now)
    per: dict[date, list[Any]] = {b: [] for b in _all_buckets(start, now, g)}
    for i in w:
        per[_bucket(i["created_at"], g)].append(i)
    body: dict[str, Any]
    if kind == "trend":
        points = []
        for b, items in per.items():
            rs = [
                dur_ms(i["created_at"], i["resolved_at"])
                for i in items
                if i["lifecycle_state"] == "RESOLVED"
            ]
            points.append(
                {
                    "period": b.isoformat(),
                    "incident_count": len(items),
                    "resolved_count": len(rs),
                    "avg_resolution_time_ms": ms(sum(rs) / len(rs)) if rs else None,
                }
            )
        body = {"points": points, "total_incidents": len(w)}
    elif kind == "distribution":
        body = {"total_incidents": len(w)}
        for key, col in (
            ("by_category", "category"),
            ("by_severity", "severity"),
            ("by_cause_type", "cause_type"),
        ):
            c = Counter(i[col] for i in w)
            body[key] = [
                {
                    "dimension": col,
                    "value": v,
                    "count": n,
                    "percentage": r2(Decimal(n) * 100 / len(w)),
                }
                for v, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
    else:
        points = []
        for b, items in per.items():
            total = sum(i["cost_impact_micros"] for i in items)
            points.append(
                {
                    "period": b.isoformat(),
                    "total_cost": usd(total),
                    "incident_count": len(items),
                    "avg_cost_per_incident": r2(Decimal(total) / len(items) / 1_000_000)
                    if items
                    else 0.0,
                }
            )
        body = {
            "points": points,
            "total_cost": usd(sum(i["cost_impact_micros"] for i in w)),
            "total_incidents": len(w),
        }
    return {**body, "granularity": g, "window_days": days}


# ---------------------------------------------------------------- costs


def _mid(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _trend(dev: float | None) -> str:
    if dev is None:
        return "normal"
    return "spike" if dev > 200 else "rising" if dev > 50 else "normal"


def _base_days(today: date, n: int, first: date | None) -> list[date]:
    if first is None:
        return []
    s = max(today - timedelta(days=n), first)
    return [s + timedelta(days=k) for k in range((today - s).days)]


def summary(
    events: list[dict[str, Any]], now: datetime, budget: dict[str, Any] | None
) -> dict[str, Any]:
    today = now.date()
    spent = lambda a, b: sum(e["cost_micros"] for e in events if a <= e["occurred_at"] <= b)  # noqa: E731
    t = spent(_mid(today), now)
    mtd = spent(_mid(today.replace(day=1)), now)
    first = min((e["occurred_at"].date() for e in events), default=None)
    daily: dict[date, int] = defaultdict(int)
    hourly: dict[tuple[date, int], int] = defaultdict(int)
    for e in events:
        daily[e["occurred_at"].date()] += e["cost_micros"]
        hourly[(e["occurred_at"].date(), e["occurred_at"].hour)] += e["cost_micros"]
    out: dict[str, Any] = {"today_cents": cents(t), "month_to_date_cents": mtd and cents(mtd)}
    for n in (7, 30):
        ds = _base_days(today, n, first)
        vals = [daily[d] for d in ds]
        out[f"baseline_{n}d_days"] = len(ds)
        out[f"baseline_{n}d_avg_cents"] = cents(round(statistics.fmean(vals))) if vals else None
        out[f"baseline_{n}d_stddev_cents"] = cents(round(statistics.pstdev(vals))) if vals else None
    ds = _base_days(today, 7, first)
    expected = None
    if ds:
        mean = [sum(hourly[(d, h)] for d in ds) / len(ds) for h in range(24)]
        frac = (now.minute * 60 + now.second) / 3600
        expected = sum(mean[: now.hour]) + frac * mean[now.hour]
    dev = (t - expected) / expected * 100 if expected else None
    out["expected_today_cents"] = None if expected is None else cents(round(expected))
    out["deviation_pct"] = None if dev is None else r2(dev)
    out["trend"] = _trend(dev)
    days_el = now.day
    dim = calendar.monthrange(now.year, now.month)[1]
    mc = cents(mtd)
    out["days_elapsed"], out["days_in_month"] = days_el, dim
    out["projected_month_cents"] = mc * dim // days_el
    out["daily_avg_cents"] = r2(Decimal(mc) / days_el)
    monthly = budget and budget.get("monthly_limit_micros")
    daily_l = budget and budget.get("daily_limit_micros")
    until = None
    if monthly is not None and mc > 0:
        rem = cents(monthly) - mc
        until = 0 if rem <= 0 else math.floor(rem / (mc / days_el))
    out["days_until_budget_exhausted"] = until
    out["monthly_budget_pct"] = r2(Decimal(mtd) * 100 / monthly) if monthly else None
    out["daily_budget_pct"] = r2(Decimal(t) * 100 / daily_l) if daily_l else None
    return out


NAMES = {"feature_tag": "unclassified", "user_id": "anonymous", "model": "unknown"}


def explained(events: list[dict[str, Any]], now: datetime, period: str) -> dict[str, Any]:
    today = now.date()
    if period == "today":
        start, pdays = _mid(today), (now - _mid(today)).total_seconds() / 86400
    else:
        n = 7 if period == "7d" else 30
        start = (now - timedelta(days=n)).replace(minute=0, second=0, microsecond=0)
        pdays = n
    inside = [e for e in events if start <= e["occurred_at"] <= now]
    total = sum(e["cost_micros"] for e in inside)
    out: dict[str, Any] = {"total_cents": cents(total)}
    tops = {}
    for dim, col in (("feature", "feature_tag"), ("model", "model"), ("user", "user_id")):
        spend: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for e in inside:
            s = spend[e[col] or NAMES[col]]
            s[0] += e["cost_micros"]
            s[1] += 1
        items = []
        for name, (s, n) in sorted(spend.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10]:
            mine = [e for e in events if (e[col] or NAMES[col]) == name]
            first = min(e["occurred_at"].date() for e in mine)
            ds = _base_days(today, 7, first)
            base = (
                sum(e["cost_micros"] for e in mine if e["occurred_at"].date() in ds) / len(ds)
                if ds
                else None
            )
            exp = None if base is None else base * pdays
            dev = (s - exp) / exp * 100 if exp else None
            item = {
                "name": name,
                "spend_cents": cents(s),
                "requests": n,
                "pct": r2(Decimal(s) * 100 / total, 1) if total else 0.0,
                "trend": _trend(dev),
            }
            items.append(item)
        out[f"by_{dim}"] = items
        tops[dim] = items
    best = (None, None, None)
    for dim in ("feature", "model", "user"):
        if tops[dim] and (best[2] is None or tops[dim][0]["pct"] > best[2]):
            best = (dim, tops[dim][0]["name"], tops[dim][0]["pct"])
    out["largest_driver_type"], out["largest_driver_name"], out["largest_driver_pct"] = best
    return out
