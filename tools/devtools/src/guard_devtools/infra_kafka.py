"""Local single-node Kafka (KRaft) for ``guard_devtools.infra``.

The broker runs straight from the Maven Central jars (no tarball download): the
``infra/kafka/pom.xml`` copies ``kafka_2.13`` and its runtime dependencies into a
per-version cache folder, and we start ``kafka.Kafka`` with our own properties and
log4j2 configuration.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from guard_devtools.infra_common import (
    InfraError,
    Paths,
    cache_dir,
    exclusive_lock,
    find_processes,
    log,
    log_tail,
    pid_alive,
    process_cmdline,
    read_pid_file,
    run_checked,
    tcp_open,
    terminate,
)

# The one place the broker version is chosen: the newest 4.x on Maven Central (4.0.0
# .. 4.4.0 exist). Verified with aiokafka 0.14.0: idempotent + gzip produce, two
# consumers joining one group and rebalancing (classic protocol), manual commit and
# resume from the committed offsets, transactions with read_committed, offset
# lookups, admin list/describe groups; same checks passed on 4.3.1; both on Java 17
# and 25. When changing it, set log4j.version in infra/kafka/pom.xml to the log4j2
# version that release's kafka-server depends on.
KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
MIN_JAVA_MAJOR = 17  # Kafka 4 brokers need Java 17+

DEFAULT_BROKER_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093

# 1 GiB heap: a long test session creates thousands of throwaway topic partitions, and the
# broker's metadata grows with them (512 MiB ran out of heap after a day of parallel test runs).
JVM_OPTIONS = (
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
# Tools (storage format) are short-lived: a small heap starts faster.
TOOL_JVM_OPTIONS = ("-Xmx256m", "-XX:+UseSerialGC", "-Djava.awt.headless=true")
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
STOP_GRACE_S = 30.0


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    configs: Mapping[str, str] = field(default_factory=dict)


def kafka_version() -> str:
    """KAFKA_VERSION, overridable with GUARD_KAFKA_VERSION to try another release."""
    return os.environ.get("GUARD_KAFKA_VERSION") or KAFKA_VERSION


# --------------------------------------------------------------------------- java / maven


def find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if not found:
        raise InfraError(
            f"Java {MIN_JAVA_MAJOR}+ is needed to run Kafka but none was found: set JAVA_HOME "
            "or install one (Debian: apt-get install -y openjdk-17-jre-headless)"
        )
    return found


def parse_java_major(version_output: str) -> int | None:
    """Major version from ``java -version`` output ("1.8.0_x" is 8, "17.0.15" is 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def check_java(java: str) -> None:
    result = run_checked([java, "-version"], what="java -version", timeout=30)
    major = parse_java_major(result.stderr + result.stdout)
    if major is not None and major < MIN_JAVA_MAJOR:
        raise InfraError(f"{java} is Java {major}; Kafka {kafka_version()} needs {MIN_JAVA_MAJOR}+")


def libs_fingerprint(pom_text: str, version: str) -> str:
    """Identifies what a cache folder was built from: a changed pom means re-resolve."""
    return hashlib.sha256(f"{version}\n{pom_text}".encode()).hexdigest()


def ensure_jars(paths: Paths, version: str) -> Path:
    """Kafka's runtime jars in the shared cache, resolved with Maven once per version."""
    pom = paths.kafka_templates / "pom.xml"
    home = cache_dir() / f"kafka-{version}"
    libs = home / "libs"
    marker = home / ".complete"
    fingerprint = libs_fingerprint(pom.read_text(encoding="utf-8"), version)
    if marker.is_file() and marker.read_text().strip() == fingerprint:
        return libs
    with exclusive_lock(home.parent / f".kafka-{version}.lock"):
        if marker.is_file() and marker.read_text().strip() == fingerprint:
            return libs  # another checkout finished the download while we waited
        _download_jars(pom, version, libs)
        marker.write_text(fingerprint + "\n")
    return libs


def _download_jars(pom: Path, version: str, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise InfraError(
            "Maven is needed once to fetch the Kafka jars from Maven Central but `mvn` "
            "is not on PATH (Debian: apt-get install -y maven)"
        )
    # Resolve into a scratch folder and rename: an interrupted download never
    # looks complete.
    scratch = libs.with_name("libs.partial")
    shutil.rmtree(scratch, ignore_errors=True)
    libs.parent.mkdir(parents=True, exist_ok=True)
    log(f"fetching Kafka {version} jars from Maven Central into {libs} (once) ...")
    started = time.monotonic()
    run_checked(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-Dkafka.version={version}",
            f"-DoutputDirectory={scratch}",
        ],
        what="mvn dependency:copy-dependencies",
        timeout=900,
    )
    if not (scratch / f"kafka_{SCALA_VERSION}-{version}.jar").is_file():
        raise InfraError(f"Maven finished but kafka_{SCALA_VERSION}-{version}.jar is missing")
    shutil.rmtree(libs, ignore_errors=True)
    scratch.rename(libs)
    log(f"Kafka jars ready in {time.monotonic() - started:.1f}s")


# --------------------------------------------------------------------------- config


def render_properties(
    template: str, *, broker_port: int, controller_port: int, log_dirs: Path
) -> str:
    """Fill the ``infra/kafka/server.properties`` template (missing keys raise)."""
    return Template(template).substitute(
        broker_port=broker_port, controller_port=controller_port, log_dirs=str(log_dirs)
    )


def ports_from_properties(text: str) -> tuple[int, int] | None:
    """(broker, controller) ports of a rendered server.properties, if it has both."""
    broker = re.search(r"^listeners=.*PLAINTEXT://[^:,]+:(\d+)", text, re.MULTILINE)
    controller = re.search(r"^listeners=.*CONTROLLER://[^:,]+:(\d+)", text, re.MULTILINE)
    if not broker or not controller:
        return None
    return int(broker.group(1)), int(controller.group(1))


def write_properties(paths: Paths, broker_port: int, controller_port: int) -> None:
    template = (paths.kafka_templates / "server.properties").read_text(encoding="utf-8")
    rendered = render_properties(
        template,
        broker_port=broker_port,
        controller_port=controller_port,
        log_dirs=paths.kafka_data,
    )
    paths.kafka_dir.mkdir(parents=True, exist_ok=True)
    paths.kafka_properties.write_text(rendered, encoding="utf-8")


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Same shape as ``kafka-storage random-uuid``, without paying a JVM start for it;
    ids starting with '-' are avoided as Kafka does (they read as CLI flags).
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _logging_options(paths: Paths) -> list[str]:
    return [
        f"-Dlog4j2.configurationFile={paths.kafka_templates / 'log4j2.xml'}",
        f"-Dkafka.logs.dir={paths.kafka_logs}",
    ]


def ensure_formatted(java: str, libs: Path, paths: Paths, cluster_id: str) -> bool:
    """Format the KRaft storage once; True when it formatted now."""
    if (paths.kafka_data / "meta.properties").is_file():
        return False
    # No meta.properties means no format ever finished: anything there is debris.
    shutil.rmtree(paths.kafka_data, ignore_errors=True)
    paths.kafka_logs.mkdir(parents=True, exist_ok=True)
    log(f"formatting Kafka storage in {paths.kafka_data} (cluster id {cluster_id})")
    run_checked(
        [
            java,
            *TOOL_JVM_OPTIONS,
            *_logging_options(paths),
            "-cp",
            f"{libs}/*",
            STORAGE_TOOL,
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(paths.kafka_properties),
        ],
        what="kafka storage format",
        timeout=120,
    )
    return True


# --------------------------------------------------------------------------- process


def _is_our_broker(pid: int, paths: Paths) -> bool:
    cmdline = process_cmdline(pid)
    return MAIN_CLASS in cmdline and str(paths.kafka_properties) in cmdline


def running_pid(paths: Paths) -> int | None:
    """PID of this checkout's broker, from the pid file or, if that is stale, /proc."""
    pid = read_pid_file(paths.kafka_pid)
    if pid is not None and pid_alive(pid) and _is_our_broker(pid, paths):
        return pid
    # The pid file may be stale (kill -9, reboot) or gone while a broker still runs;
    # starting a second one on the same log dir would fail on its lock.
    for candidate in find_processes(MAIN_CLASS, str(paths.kafka_properties)):
        if _is_our_broker(candidate, paths):
            paths.kafka_pid.write_text(f"{candidate}\n")
            return candidate
    return None


def start(java: str, libs: Path, paths: Paths) -> int:
    """Launch the broker detached from our session; returns its pid."""
    paths.kafka_logs.mkdir(parents=True, exist_ok=True)
    cmd = [
        java,
        *JVM_OPTIONS,
        *_logging_options(paths),
        "-cp",
        f"{libs}/*",
        MAIN_CLASS,
        str(paths.kafka_properties),
    ]
    with paths.kafka_stdout.open("ab") as out:
        out.write(f"\n=== starting Kafka {kafka_version()} at {time.ctime()}\n".encode())
        out.flush()
        # New session: the broker outlives this CLI and ignores its terminal's ^C.
        proc = subprocess.Popen(
            cmd,
            cwd=paths.kafka_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    paths.kafka_pid.write_text(f"{proc.pid}\n")
    log(f"started Kafka {kafka_version()} (pid {proc.pid})")
    return proc.pid


def stop(paths: Paths) -> bool:
    """SIGTERM (controlled shutdown), then SIGKILL after a grace period; True if it ran."""
    pid = running_pid(paths)
    if pid is None:
        paths.kafka_pid.unlink(missing_ok=True)
        return False
    log(f"stopping Kafka (pid {pid})")
    terminate(pid, name="Kafka", grace=STOP_GRACE_S)
    paths.kafka_pid.unlink(missing_ok=True)
    return True


def startup_log_tail(paths: Paths) -> str:
    return (
        f"--- {paths.kafka_stdout} ---\n{log_tail(paths.kafka_stdout, 20)}\n"
        f"--- {paths.kafka_logs / 'server.log'} ---\n"
        f"{log_tail(paths.kafka_logs / 'server.log', 40)}"
    )


# --------------------------------------------------------------------------- protocol


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    """Silence aiokafka's connection errors while we poll a broker that is booting."""
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _admin(bootstrap: str, timeout: float) -> Any:
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="guard-infra",
        request_timeout_ms=max(1000, int(timeout * 1000)),
    )


def _first_host_port(bootstrap: str) -> tuple[str, int] | None:
    first = bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    return (host or "127.0.0.1", int(port)) if port.isdigit() else None


async def probe(bootstrap: str, wait_s: float = 5.0) -> bool:
    """True when the broker answers a metadata request listing at least one broker."""
    target = _first_host_port(bootstrap)
    if target is not None and not tcp_open(target[1], target[0]):
        return False  # skip the client's retries when nothing listens at all
    with _quiet_aiokafka():
        admin = _admin(bootstrap, wait_s)
        try:
            async with asyncio.timeout(wait_s):
                await admin.start()
                cluster = await admin.describe_cluster()
            return bool(cluster.get("brokers"))
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                await admin.close()


async def wait_ready(bootstrap: str, pid: int | None, paths: Paths | None, wait_s: float) -> None:
    """Poll with metadata requests until the broker answers; fail early if it died."""
    deadline = time.monotonic() + wait_s
    while True:
        if pid is not None and not pid_alive(pid):
            tail = startup_log_tail(paths) if paths else ""
            raise InfraError(f"Kafka (pid {pid}) exited during startup\n{tail}")
        remaining = deadline - time.monotonic()
        if await probe(bootstrap, wait_s=max(1.0, min(5.0, remaining))):
            return
        if time.monotonic() >= deadline:
            tail = startup_log_tail(paths) if paths else ""
            raise InfraError(f"Kafka at {bootstrap} not ready after {wait_s:.0f}s\n{tail}")
        await asyncio.sleep(0.5)


# Error codes a create may legitimately answer when another process won the race.
_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(bootstrap: str, specs: Sequence[TopicSpec], wait_s: float = 30.0) -> None:
    """Create missing topics and grow under-partitioned ones; never shrinks or deletes."""
    from aiokafka.admin import NewPartitions

    admin = _admin(bootstrap, wait_s)
    await admin.start()
    try:
        existing = await _partition_counts(admin)
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            await _create(admin, missing, wait_s)
            log("created topics: " + ", ".join(spec.name for spec in missing))
        grow = {
            spec.name: NewPartitions(total_count=spec.partitions)
            for spec in specs
            if spec.name in existing and existing[spec.name] < spec.partitions
        }
        if grow:
            await admin.create_partitions(grow)
            log("added partitions to: " + ", ".join(grow))
        await _wait_for_leaders(admin, specs, wait_s)
    finally:
        await admin.close()


async def _partition_counts(admin: Any) -> dict[str, int]:
    topics = await admin.describe_topics()
    return {t["topic"]: len(t["partitions"]) for t in topics if not t.get("error_code")}


async def _create(admin: Any, specs: Sequence[TopicSpec], wait_s: float) -> None:
    from aiokafka.admin import NewTopic

    new_topics = [
        NewTopic(
            name=spec.name,
            num_partitions=spec.partitions,
            replication_factor=1,
            topic_configs=dict(spec.configs),
        )
        for spec in specs
    ]
    response = await admin.create_topics(new_topics, timeout_ms=int(wait_s * 1000))
    failures = [
        f"{entry[0]}: error {entry[1]} {entry[2] if len(entry) > 2 else ''}".strip()
        for entry in response.topic_errors
        if entry[1] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if failures:
        raise InfraError("topic creation failed: " + "; ".join(failures))


async def _wait_for_leaders(admin: Any, specs: Sequence[TopicSpec], wait_s: float) -> None:
    """Block until every partition has a leader, so clients started next never see
    UNKNOWN_TOPIC_OR_PARTITION for a topic we just created."""
    names = [spec.name for spec in specs]
    deadline = time.monotonic() + wait_s
    while True:
        topics = await admin.describe_topics(names)
        ready = all(
            not t.get("error_code")
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in topics
        )
        if ready and len(topics) == len(names):
            return
        if time.monotonic() >= deadline:
            raise InfraError(f"topics have no partition leaders after {wait_s:.0f}s")
        await asyncio.sleep(0.2)
