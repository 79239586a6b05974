"""A private Kafka broker and PostgreSQL cluster for fault-injection tests.

Both live in a temporary folder on their own free ports, started and stopped with the project's
infra helpers (guard_devtools.infra_kafka / infra_postgres), so a test may kill or restart them
without disturbing the servers other tests share.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from guard_contracts.topics import Topics
from guard_devtools import infra_kafka, infra_postgres
from guard_devtools.infra_common import (
    Paths,
    ephemeral_port,
    find_repo_root,
    pid_alive,
    run_checked,
    wait_for_exit,
)
from guard_devtools.infra_kafka import TopicSpec
from guard_devtools.infra_postgres import as_user, local_url

READY_S = 90.0


def private_paths() -> Paths:
    """A fresh root whose ``infra`` points at the repository's (Kafka templates)."""
    root = Path(tempfile.mkdtemp(prefix="guard-faults-"))
    (root / "infra").symlink_to(find_repo_root() / "infra")
    return Paths(root)


@dataclass
class PrivateKafka:
    paths: Paths
    java: str
    libs: Path
    port: int
    pid: int | None = None

    @classmethod
    def create(cls, paths: Paths) -> PrivateKafka:
        java = infra_kafka.find_java()
        infra_kafka.check_java(java)
        libs = infra_kafka.ensure_jars(paths, infra_kafka.kafka_version())
        port, controller = ephemeral_port(), ephemeral_port()
        infra_kafka.write_properties(paths, port, controller)
        infra_kafka.ensure_formatted(java, libs, paths, infra_kafka.new_cluster_id())
        return cls(paths, java, libs, port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.pid = infra_kafka.start(self.java, self.libs, self.paths)
        await infra_kafka.wait_ready(self.bootstrap, self.pid, self.paths, READY_S)

    def stop(self) -> None:
        """Controlled shutdown (SIGTERM)."""
        infra_kafka.stop(self.paths)
        self.pid = None

    def kill(self) -> None:
        if self.pid is not None and pid_alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
            wait_for_exit(self.pid, 10)
        self.pid = None

    async def create_topics(self, topics: Topics, partitions: int = 4) -> None:
        specs = [
            TopicSpec(
                name, partitions, {"cleanup.policy": "compact"} if name == topics.budgets else {}
            )
            for name in topics.all()
        ]
        await infra_kafka.ensure_topics(self.bootstrap, specs)


@dataclass
class PrivatePostgres:
    paths: Paths
    bin_dir: Path
    user: str | None
    port: int

    @classmethod
    def create(cls, paths: Paths) -> PrivatePostgres:
        bin_dir = infra_postgres.ensure_bin_dir()
        user = infra_postgres.service_user()
        infra_postgres.ensure_cluster(bin_dir, paths, user)
        return cls(paths, bin_dir, user, ephemeral_port())

    def url(self, database: str = "postgres") -> str:
        return local_url(self.port, database)

    async def start(self) -> None:
        infra_postgres.start(self.bin_dir, self.paths, self.user, self.port)
        await infra_postgres.wait_ready(self.url(), READY_S)

    def stop_immediately(self) -> None:
        """``pg_ctl -m immediate stop``: no checkpoint, clients cut off, crash recovery on start."""
        pg_ctl = str(self.bin_dir / "pg_ctl")
        run_checked(as_user(self.user, [pg_ctl, "-D", str(self.paths.pg_data), "-m", "immediate",
                                        "-w", "stop"]), what="pg_ctl stop -m immediate",
                    cwd=self.paths.pg_dir, timeout=60)  # fmt: skip

    def stop(self) -> None:
        infra_postgres.stop(self.bin_dir, self.paths, self.user)


def remove(paths: Paths) -> None:
    shutil.rmtree(paths.root, ignore_errors=True)
