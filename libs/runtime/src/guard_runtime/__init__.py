"""Shared runtime pieces every Guard service uses (STYLE.md: look for the helper before writing one).

- :mod:`guard_runtime.logging` — ``configure_logging(service)``: one JSON object per log line.
- :mod:`guard_runtime.settings` — ``InfraSettings``: Kafka/Postgres connection settings honouring the
  un-prefixed ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``.
- :mod:`guard_runtime.dlq` — ``DeadLetter`` and ``DlqPublisher``: original bytes and headers plus the
  ``DlqHeader`` reason headers.
- :mod:`guard_runtime.ops` — ``create_ops_app`` (/healthz, /readyz, /metrics) and
  ``run_with_ops`` (a FastStream app and the ops app in one process, one shutdown).
"""
