"""Prometheus metrics of the notifier (served on the ops app's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter(
    "guard_notifier_deliveries_total",
    "Messages by outcome: delivered, retried (one per failed attempt that will be retried), "
    "failed, cancelled, digested (held back into a digest)",
    ["outcome"],
)
LATENCY = Histogram(
    "guard_notifier_change_to_delivery_seconds",
    "From the incident change (its occurred_at) to the receiver's 2xx",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
)
REQUEST_SECONDS = Histogram(
    "guard_notifier_request_seconds",
    "Duration of one HTTP attempt",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DISPATCH_SECONDS = Histogram(
    "guard_notifier_dispatch_round_seconds",
    "One look at the ledger for due messages",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
QUEUE_DEPTH = Gauge("guard_notifier_queue_depth", "Pending messages in the ledger")
IN_FLIGHT = Gauge("guard_notifier_in_flight", "Messages being sent or backing off right now")
CHANGES = Counter(
    "guard_notifier_changes_total", "Incident changes consumed", ["result"]
)  # result: routed, ignored, duplicate
CHANNELS_DISABLED = Counter(
    "guard_notifier_channels_disabled_total", "Channels disabled after failing too long"
)
