"""Pure parts of guard_devtools.infra: rendering, ports, state, parsing. No services."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guard_devtools import infra, infra_common, infra_kafka, infra_postgres
from guard_devtools.infra_common import Paths, choose_port, load_state, save_state

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = (REPO_ROOT / "infra" / "kafka" / "server.properties").read_text()


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


# --------------------------------------------------------------------------- Kafka config


def test_rendered_properties_fill_every_placeholder() -> None:
    rendered = infra_kafka.render_properties(
        TEMPLATE, broker_port=19092, controller_port=19093, log_dirs=Path("/x/data")
    )
    assert "${" not in rendered
    props = _props(rendered)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == "/x/data"


def test_template_is_a_single_node_kraft_setup() -> None:
    props = _props(TEMPLATE)
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "4"
    # A static voter list would contradict the --standalone (dynamic quorum) format.
    assert "controller.quorum.voters" not in props


def test_render_rejects_unknown_placeholders() -> None:
    with pytest.raises(KeyError):
        infra_kafka.render_properties(
            "x=${nope}", broker_port=1, controller_port=2, log_dirs=Path("/d")
        )


def test_ports_round_trip_through_rendered_properties() -> None:
    rendered = infra_kafka.render_properties(
        TEMPLATE, broker_port=29092, controller_port=29093, log_dirs=Path("/d")
    )
    assert infra_kafka.ports_from_properties(rendered) == (29092, 29093)
    assert infra_kafka.ports_from_properties("process.roles=broker") is None


def test_cluster_ids_look_like_kafka_uuids() -> None:
    ids = {infra_kafka.new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert not cluster_id.startswith("-")


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "25" 2025-09-16', 25),
        ('java version "1.8.0_412"', 8),
        ("no version here", None),
    ],
)
def test_java_major_version_parsing(output: str, major: int | None) -> None:
    assert infra_kafka.parse_java_major(output) == major


def test_jar_cache_fingerprint_follows_pom_and_version() -> None:
    base = infra_kafka.libs_fingerprint("<pom/>", "4.4.0")
    assert base == infra_kafka.libs_fingerprint("<pom/>", "4.4.0")
    assert base != infra_kafka.libs_fingerprint("<pom changed/>", "4.4.0")
    assert base != infra_kafka.libs_fingerprint("<pom/>", "4.3.1")


def test_topic_specs_cover_the_spec_defaults() -> None:
    names = [spec.name for spec in infra.TOPIC_SPECS]
    assert len(names) == len(set(names))
    assert set(names) == {
        "guard.cost-events.v1",
        "guard.killswitch-events.v1",
        "guard.budgets.v1",
        "guard.incident-commands.v1",
        "guard.cost-anomalies.v1",
        "guard.incident-changes.v1",
        "guard.analytics-results.v1",
        "guard.export-requests.v1",
        "guard.export-results.v1",
        "guard.notification-commands.v1",
        "guard.dlq.v1",
    }
    by_name = {spec.name: spec for spec in infra.TOPIC_SPECS}
    assert by_name["guard.budgets.v1"].configs == {"cleanup.policy": "compact"}
    assert all(spec.partitions >= 1 for spec in infra.TOPIC_SPECS)


# --------------------------------------------------------------------------- ports and state


def test_persisted_port_is_kept_when_free() -> None:
    state: dict[str, int | str] = {"kafka_port": 19092}
    assert choose_port(state, "kafka_port", 9092, is_free=lambda _p: True) == 19092
    assert state["kafka_port"] == 19092


def test_busy_persisted_port_falls_back_to_default() -> None:
    state: dict[str, int | str] = {"kafka_port": 19092}
    port = choose_port(state, "kafka_port", 9092, is_free=lambda p: p != 19092)
    assert port == 9092
    assert state["kafka_port"] == 9092


def test_busy_default_falls_back_to_a_free_ephemeral_port() -> None:
    state: dict[str, int | str] = {}
    port = choose_port(state, "postgres_port", 55432, is_free=lambda p: p != 55432)
    assert port != 55432
    assert 1024 < port < 65536
    assert state["postgres_port"] == port


def test_reserved_ports_are_never_chosen() -> None:
    state: dict[str, int | str] = {}
    port = choose_port(
        state, "kafka_controller_port", 9093, reserved=[9093], is_free=lambda _p: True
    )
    assert port != 9093


def test_state_round_trip_and_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / ".local" / "infra.json"
    assert load_state(path) == {}
    save_state(path, {"kafka_port": 9092, "kafka_cluster_id": "abc"})
    assert load_state(path) == {"kafka_port": 9092, "kafka_cluster_id": "abc"}
    path.write_text("{not json")
    assert load_state(path) == {}
    path.write_text("[1, 2]")
    assert load_state(path) == {}


def test_endpoints_come_from_persisted_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARD_REPO_ROOT", str(tmp_path))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    save_state(Paths(tmp_path).state_file, {"kafka_port": 19092, "postgres_port": 15432})
    result = infra.endpoints()
    assert result.kafka_bootstrap == "127.0.0.1:19092"
    assert result.database_url == "postgresql+asyncpg://guard@127.0.0.1:15432/guard"
    assert result.asyncpg_dsn == "postgresql://guard@127.0.0.1:15432/guard"
    assert not result.kafka_external
    assert not result.postgres_external
    assert result.exports() == (
        "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092\n"
        "export DATABASE_URL=postgresql+asyncpg://guard@127.0.0.1:15432/guard\n"
    )


def test_env_vars_naming_our_own_services_are_not_external(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After `eval "$(scripts/infra env)"` a later `up` must still manage (start) them.
    monkeypatch.setenv("GUARD_REPO_ROOT", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://guard@127.0.0.1:55432/guard")
    result = infra.endpoints()
    assert not result.kafka_external
    assert not result.postgres_external


def test_other_env_vars_are_external(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARD_REPO_ROOT", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/guard")
    result = infra.endpoints()
    assert result.kafka_external
    assert result.kafka_bootstrap == "kafka:9092"
    assert result.postgres_external
    assert result.database_url == "postgresql+asyncpg://u:p@db:5432/guard"


def test_pid_helpers_on_this_process(tmp_path: Path) -> None:
    import os

    assert infra_common.pid_alive(os.getpid())
    assert not infra_common.pid_alive(0)
    pid_file = tmp_path / "x.pid"
    assert infra_common.read_pid_file(pid_file) is None
    pid_file.write_text("1234\n")
    assert infra_common.read_pid_file(pid_file) == 1234


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("postgresql+asyncpg://guard@127.0.0.1:5/guard", "postgresql://guard@127.0.0.1:5/guard"),
        ("postgres+asyncpg://u:p@h/db", "postgres://u:p@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
    ],
)
def test_asyncpg_dsn_drops_the_driver(url: str, dsn: str) -> None:
    assert infra_postgres.asyncpg_dsn(url) == dsn


def test_postgres_conf_has_port_socket_and_durability() -> None:
    conf = infra_postgres.render_conf(55433, Path("/r/.local/postgres/run"))
    assert "port = 55433" in conf
    assert "unix_socket_directories = '/r/.local/postgres/run'" in conf
    assert "listen_addresses = '127.0.0.1'" in conf
    for setting in ("fsync = on", "synchronous_commit = on", "shared_buffers = 256MB"):
        assert setting in conf
    assert "max_connections = 200" in conf


def test_socket_dir_moves_out_of_deep_checkouts() -> None:
    short = Paths(Path("/w/main"))
    assert infra_postgres.socket_dir(short) == short.pg_socket_dir
    deep = Paths(Path("/" + "/".join(["very-long-folder-name"] * 6)))
    moved = infra_postgres.socket_dir(deep)
    assert moved != deep.pg_socket_dir
    assert len(str(moved)) <= infra_postgres.MAX_SOCKET_DIR_LEN
