"""Local infrastructure for development, tests and CI: Kafka (KRaft) and PostgreSQL.

CLI (through ``scripts/infra``)::

    scripts/infra up            # start (idempotent), create topics/databases, print exports
    scripts/infra status        # up/down per service; exit 1 when any is down
    scripts/infra env           # just the exports: eval "$(scripts/infra env)"
    scripts/infra down [--reset]  # stop; --reset also deletes the data folders
    scripts/infra reset         # same as down --reset

Python API (test fixtures)::

    ensure_up() -> InfraEndpoints        # start what is needed, return where it is
    await ensure_up_async() -> InfraEndpoints
    endpoints() -> InfraEndpoints        # where it is (or will be), starts nothing
    shutdown(reset=False) -> None
    service_status() -> list[ServiceStatus]

``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` pointing anywhere but our own local
services make us use those instead (topics are still created in such a Kafka;
nothing is created in such a database).

State lives in ``.local/`` (git-ignored): ports in ``.local/infra.json`` so restarts
keep them; Kafka jars in ``${GUARD_CACHE_DIR:-~/.cache/guard-incidents}``.

Kafka version: ``infra_kafka.KAFKA_VERSION`` (why that one: see the comment there);
``GUARD_KAFKA_VERSION`` overrides it to try another release.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from guard_contracts.topics import DEFAULT_TOPICS, Topics
from guard_devtools import infra_kafka, infra_postgres
from guard_devtools.infra_common import (
    InfraError,
    Paths,
    choose_port,
    exclusive_lock,
    find_repo_root,
    load_state,
    log,
    save_state,
)
from guard_devtools.infra_kafka import KAFKA_VERSION, TopicSpec

__all__ = [
    "KAFKA_VERSION",
    "TOPIC_SPECS",
    "InfraEndpoints",
    "InfraError",
    "ServiceStatus",
    "TopicSpec",
    "endpoints",
    "ensure_up",
    "ensure_up_async",
    "main",
    "service_status",
    "shutdown",
]

# Partition counts: the two high-volume input topics get 8 so ingest can scale to 8
# consumers; the rest carry far less traffic. Keys are tenant ids everywhere, so
# per-tenant ordering holds with any count. Budgets are a compacted table (the
# latest budget per key wins), as SPEC section 2 requires.
_PARTITIONS = {"cost_events": 8, "killswitch_events": 8}
_DEFAULT_PARTITIONS = 4
TOPIC_SPECS: tuple[TopicSpec, ...] = tuple(
    TopicSpec(
        getattr(DEFAULT_TOPICS, name),
        _PARTITIONS.get(name, _DEFAULT_PARTITIONS),
        {"cleanup.policy": "compact"} if name == "budgets" else {},
    )
    for name in Topics.__dataclass_fields__
)

KAFKA_READY_TIMEOUT_S = float(os.environ.get("GUARD_INFRA_READY_TIMEOUT", "60"))
PG_READY_TIMEOUT_S = 30.0

# Keys in .local/infra.json
K_BROKER = "kafka_port"
K_CONTROLLER = "kafka_controller_port"
K_PG = "postgres_port"
K_CLUSTER_ID = "kafka_cluster_id"
K_VERSION = "kafka_version"


@dataclass(frozen=True)
class InfraEndpoints:
    kafka_bootstrap: str
    database_url: str
    kafka_external: bool = False
    postgres_external: bool = False

    @property
    def asyncpg_dsn(self) -> str:
        """``database_url`` without the ``+asyncpg`` driver part, for asyncpg.connect."""
        return infra_postgres.asyncpg_dsn(self.database_url)

    def exports(self) -> str:
        return (
            f"export KAFKA_BOOTSTRAP_SERVERS={self.kafka_bootstrap}\n"
            f"export DATABASE_URL={self.database_url}\n"
        )


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    up: bool
    detail: str


# --------------------------------------------------------------------------- endpoints


def _local_kafka(state: dict[str, int | str]) -> str:
    port = state.get(K_BROKER, infra_kafka.DEFAULT_BROKER_PORT)
    return f"127.0.0.1:{port}"


def _local_database(state: dict[str, int | str]) -> str:
    port = state.get(K_PG, infra_postgres.DEFAULT_PORT)
    return infra_postgres.local_url(int(port))


def _external(variable: str, ours: str) -> str | None:
    """The env var's value when it names a service other than our local one.

    After `eval "$(scripts/infra env)"` the variables point at our own services;
    those must still be managed (started after a reboot), not treated as external.
    """
    value = os.environ.get(variable, "").strip()
    return value if value and value != ours else None


def _resolve(paths: Paths, state: dict[str, int | str]) -> InfraEndpoints:
    kafka_ext = _external("KAFKA_BOOTSTRAP_SERVERS", _local_kafka(state))
    db_ext = _external("DATABASE_URL", _local_database(state))
    return InfraEndpoints(
        kafka_bootstrap=kafka_ext or _local_kafka(state),
        database_url=db_ext or _local_database(state),
        kafka_external=kafka_ext is not None,
        postgres_external=db_ext is not None,
    )


def endpoints() -> InfraEndpoints:
    """Where the services are (persisted ports, or the defaults before a first `up`)."""
    paths = Paths(find_repo_root())
    return _resolve(paths, load_state(paths.state_file))


# --------------------------------------------------------------------------- up


def _prepare_kafka(paths: Paths, state: dict[str, int | str]) -> int:
    """Start our broker unless it runs; returns its pid (readiness is checked later).

    Split from waiting so PostgreSQL is set up while the JVM boots.
    """
    pid = infra_kafka.running_pid(paths)
    if pid is not None:
        if K_BROKER not in state:  # state file lost: recover ports from the config
            ports = infra_kafka.ports_from_properties(paths.kafka_properties.read_text())
            if ports:
                state[K_BROKER], state[K_CONTROLLER] = ports
        return pid
    java = infra_kafka.find_java()
    infra_kafka.check_java(java)
    version = infra_kafka.kafka_version()
    libs = infra_kafka.ensure_jars(paths, version)
    pg_port = state.get(K_PG)
    reserved = [pg_port] if isinstance(pg_port, int) else []
    broker = choose_port(state, K_BROKER, infra_kafka.DEFAULT_BROKER_PORT, reserved=reserved)
    controller = choose_port(
        state, K_CONTROLLER, infra_kafka.DEFAULT_CONTROLLER_PORT, reserved=[*reserved, broker]
    )
    cluster_id = str(state.get(K_CLUSTER_ID) or infra_kafka.new_cluster_id())
    state[K_CLUSTER_ID] = cluster_id
    state[K_VERSION] = version
    save_state(paths.state_file, state)
    infra_kafka.write_properties(paths, broker, controller)
    infra_kafka.ensure_formatted(java, libs, paths, cluster_id)
    return infra_kafka.start(java, libs, paths)


async def _ensure_local_postgres(paths: Paths, state: dict[str, int | str]) -> str:
    running = infra_postgres.running_pid(paths) is not None
    if not running:
        bin_dir = infra_postgres.ensure_bin_dir()
        user = infra_postgres.service_user()
        kafka_ports = [state[k] for k in (K_BROKER, K_CONTROLLER) if isinstance(state.get(k), int)]
        port = choose_port(
            state, K_PG, infra_postgres.DEFAULT_PORT, reserved=[int(p) for p in kafka_ports]
        )
        save_state(paths.state_file, state)
        infra_postgres.ensure_cluster(bin_dir, paths, user)
        infra_postgres.start(bin_dir, paths, user, port)
    elif K_PG not in state:  # state file lost while running: ask the config
        recovered = infra_postgres.port_from_conf(paths)
        if recovered is not None:
            state[K_PG] = recovered
    port = int(state.get(K_PG, infra_postgres.DEFAULT_PORT))
    # Probe the maintenance database: ours may not exist yet on a fresh cluster.
    await infra_postgres.wait_ready(infra_postgres.local_url(port, "postgres"), PG_READY_TIMEOUT_S)
    await infra_postgres.ensure_databases(port)
    return _local_database(state)


async def ensure_up_async() -> InfraEndpoints:
    """Start whatever is not running, wait until it answers, create topics and databases."""
    paths = Paths(find_repo_root())
    with exclusive_lock(paths.lock_file):
        state = load_state(paths.state_file)
        wanted = _resolve(paths, state)
        kafka_pid: int | None = None
        if not wanted.kafka_external:
            kafka_pid = _prepare_kafka(paths, state)
        if wanted.postgres_external:
            await infra_postgres.wait_ready(wanted.database_url, PG_READY_TIMEOUT_S)
        else:
            await _ensure_local_postgres(paths, state)
        result = _resolve(paths, state)  # ports may have moved while starting
        await infra_kafka.wait_ready(
            result.kafka_bootstrap,
            kafka_pid,
            None if result.kafka_external else paths,
            KAFKA_READY_TIMEOUT_S,
        )
        await infra_kafka.ensure_topics(result.kafka_bootstrap, TOPIC_SPECS)
        save_state(paths.state_file, state)
    return result


T = TypeVar("T")


def _run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run, also from code already inside an event loop (async test fixtures)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def ensure_up() -> InfraEndpoints:
    return _run_sync(ensure_up_async)


# --------------------------------------------------------------------------- down / status


def shutdown(reset: bool = False) -> None:
    """Stop our local services (never external ones); ``reset`` deletes their data too."""
    paths = Paths(find_repo_root())
    with exclusive_lock(paths.lock_file):
        if not infra_kafka.stop(paths):
            log("Kafka is not running")
        bin_dir = infra_postgres.find_bin_dir()
        user = infra_postgres.service_user(create=False)
        if not infra_postgres.stop(bin_dir, paths, user):
            log("PostgreSQL is not running")
        if reset:
            for folder in (paths.kafka_dir, paths.pg_dir):
                shutil.rmtree(folder, ignore_errors=True)
            log("deleted .local/kafka and .local/postgres")


async def _status_async() -> list[ServiceStatus]:
    paths = Paths(find_repo_root())
    current = _resolve(paths, load_state(paths.state_file))
    kafka_up = await infra_kafka.probe(current.kafka_bootstrap, wait_s=5.0)
    where = "external" if current.kafka_external else "local"
    detail = f"{where} {current.kafka_bootstrap}"
    if not current.kafka_external:
        pid = infra_kafka.running_pid(paths)
        detail += f", pid {pid}" if pid else ", no process"
    statuses = [ServiceStatus("kafka", kafka_up, detail)]
    pg_up = await infra_postgres.probe(current.database_url, wait_s=5.0)
    where = "external" if current.postgres_external else "local"
    detail = f"{where} {current.database_url}"
    if not current.postgres_external:
        pid = infra_postgres.running_pid(paths)
        detail += f", pid {pid}" if pid else ", no process"
    statuses.append(ServiceStatus("postgres", pg_up, detail))
    return statuses


def service_status() -> list[ServiceStatus]:
    return _run_sync(_status_async)


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/infra", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start Kafka and PostgreSQL (idempotent) and print exports")
    down = sub.add_parser("down", help="stop both (harmless when already down)")
    down.add_argument("--reset", action="store_true", help="also delete their data")
    sub.add_parser("reset", help="stop both and delete their data")
    sub.add_parser("status", help="report each service; exit 1 when any is down")
    sub.add_parser("env", help="print the shell exports only")
    sub.add_parser("topics", help="only create the topics, on $KAFKA_BOOTSTRAP_SERVERS")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "up":
            started = time.monotonic()
            result = ensure_up()
            log(f"ready in {time.monotonic() - started:.1f}s")
            sys.stdout.write(result.exports())
        elif args.command in ("down", "reset"):
            shutdown(reset=args.command == "reset" or args.reset)
        elif args.command == "status":
            statuses = service_status()
            for item in statuses:
                print(f"{item.name:9} {'up' if item.up else 'DOWN':5} {item.detail}")
            return 0 if all(item.up for item in statuses) else 1
        elif args.command == "env":
            sys.stdout.write(endpoints().exports())
        elif args.command == "topics":
            bootstrap = endpoints().kafka_bootstrap
            _run_sync(lambda: infra_kafka.ensure_topics(bootstrap, TOPIC_SPECS))
            log(f"topics ready on {bootstrap}")
    except InfraError as exc:
        print(f"[infra] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
