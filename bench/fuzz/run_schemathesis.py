"""Exploratory schemathesis run against the live API — wider than CI and randomised; not in CI.

    export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 DATABASE_URL=postgresql+asyncpg://guard@127.0.0.1:55432/guard
    .venv/bin/python bench/fuzz/run_schemathesis.py [--max-examples 50] [--seed N] [--max-time S]
        [--phases examples,coverage,fuzzing] [--rate-limit] [--report-dir DIR]
        [-- extra schemathesis args]

What it does: creates a throw-away database on the server of DATABASE_URL (migrated to head) and
its own Kafka topics, seeds a few incidents with a chained timeline, serves the API in uvicorn on
127.0.0.1 (a free port, environment ``preflight`` so evidence and proof answer), mints a token,
and runs ``schemathesis run`` over every operation with the examples, coverage and fuzzing
phases, both generation modes and every check. Without ``--seed`` each run explores new input;
the seed it used is printed, so a finding can be replayed. The database is dropped afterwards.

The CI runs (services/api/tests/integration/*schemathesis*.py) are the derandomised subset of
this; a finding here becomes a fix plus a fixed test case there (docs/api/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from guard_api.config import Environment, Settings
from guard_api.main import create_app
from guard_contracts.chain import link_hash
from guard_devtools.testing import create_topics, delete_topics, unique_topics
from guard_devtools.token import mint
from guard_storage.db import to_async_url, to_asyncpg_dsn
from guard_storage.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "api" / "tests"))
from integration.conftest import serve_on_loopback

SECRET = "fuzz-secret-0123456789abcdefghijklmnopqr"
TENANT = "fuzz-tenant"
CHECKS = "all"


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _seed(dsn: str) -> None:
    """Incidents in every state, each with a correctly chained two-entry timeline."""
    conn = await asyncpg.connect(dsn)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    try:
        for n, (state, severity) in enumerate(
            [("ACTIVE", "high"), ("ACKED", "low"), ("RESOLVED", "critical"), ("RESOLVED", "high")]
        ):
            incident = uuid.uuid4()
            created = t0 + timedelta(minutes=n)
            resolved = created + timedelta(minutes=30) if state == "RESOLVED" else None
            await conn.execute(
                "INSERT INTO incidents (incident_id, tenant_id, lifecycle_state, severity,"
                " category, cause_type, title, description, source_type, fingerprint,"
                " llm_run_id, created_at, first_event_at, last_event_at, acked_at, resolved_at,"
                " resolution_method, updated_at) VALUES ($1, $2, $3, $4, 'FREEZE', 'LLM_RUN',"
                " 't', 'd', 'killswitch', 'fp', 'run-1', $5, $5, $5, $6, $7, $8, $5)",
                incident, TENANT, state, severity, created,
                created + timedelta(minutes=5) if state != "ACTIVE" else None,
                resolved, "manual" if resolved else None,
            )  # fmt: skip
            prev: str | None = None
            for sequence in (1, 2):
                entry = {
                    "sequence": sequence,
                    "entry_type": "created" if sequence == 1 else "event_attached",
                    "occurred_at": (created + timedelta(seconds=sequence)).isoformat(),
                    "source_event_id": str(uuid.uuid4()),
                    "data": {"calls_affected": sequence},
                }
                digest = link_hash(prev, entry)
                await conn.execute(
                    "INSERT INTO incident_events (incident_id, sequence, tenant_id, entry_type,"
                    " occurred_at, source_event_id, data, prev_hash, hash)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
                    incident, sequence, TENANT, entry["entry_type"],
                    created + timedelta(seconds=sequence), uuid.UUID(entry["source_event_id"]),
                    json.dumps(entry["data"]), prev, digest,
                )  # fmt: skip
                prev = digest
            await conn.execute(
                "UPDATE incidents SET timeline_length = 2, timeline_head = $2"
                " WHERE incident_id = $1",
                incident,
                prev,
            )
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-time", type=int, default=None, help="seconds for the whole run")
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument(
        "--rate-limit",
        action="store_true",
        help="keep the gateway's rate limiter on (off by default)",
    )
    parser.add_argument("--report-dir", default=None)
    parser.add_argument("extra", nargs="*", help="passed to `schemathesis run` after --")
    args = parser.parse_args()

    server_url = os.environ.get("DATABASE_URL")
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not server_url or not kafka:
        parser.error("set DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS (see the module docstring)")
    # The server shares this process; its per-request logs would drown schemathesis' report.
    logging.getLogger("guard_api").setLevel(logging.ERROR)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    name = f"guard_fuzz_{uuid.uuid4().hex[:10]}"
    admin_dsn = to_asyncpg_dsn(server_url)
    database_url = f"{to_async_url(server_url).rpartition('/')[0]}/{name}"
    topics = unique_topics("fuzz")
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(database_url)
        asyncio.run(_seed(to_asyncpg_dsn(database_url)))
        asyncio.run(create_topics(kafka, topics))
        settings = Settings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka,
            topic_incident_commands=topics.incident_commands,
            topic_export_requests=topics.export_requests,
            topic_notification_commands=topics.notification_commands,
            environment=Environment.PREFLIGHT,
            jwt_secret=SECRET,
            # One token sends every case: at the default limits most answers would be 429s and
            # the fuzzer would explore the limiter instead of the endpoints. The limiter's own
            # answers are covered by services/api/tests (429 with Retry-After).
            rate_limit_enabled=args.rate_limit,
        )
        token = mint(TENANT, subject="fuzzer", secret=SECRET)
        with (
            serve_on_loopback(create_app(settings)) as url,
            tempfile.TemporaryDirectory() as tmp,
        ):
            report_dir = args.report_dir or str(Path(tmp) / "report")
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{url}/openapi.json",
                "--phases", args.phases,
                "--checks", CHECKS,
                "--mode", "all",
                "--max-examples", str(args.max_examples),
                "--seed", str(seed),
                "--header", f"Authorization: Bearer {token}",
                "--generation-with-security-parameters", "false",
                "--workers", "1",
                # ``?wait=`` may hold a download up to 30 s by design: neither a timeout nor a
                # slow answer (schemathesis' default limit is 10 s).
                "--request-timeout", "45",
                "--max-response-time", "40",
                "--report", "junit",
                "--report-dir", report_dir,
                *(["--max-time", str(args.max_time)] if args.max_time else []),
                *args.extra,
            ]  # fmt: skip
            print(f"schemathesis seed {seed}; serving {url}; database {name}", flush=True)
            # Run in the temporary directory: schemathesis keeps a cache in its working directory.
            return subprocess.run(command, check=False, cwd=tmp).returncode
    finally:
        asyncio.run(delete_topics(kafka, topics))
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())
