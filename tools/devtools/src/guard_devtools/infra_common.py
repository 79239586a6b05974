"""Shared plumbing for ``guard_devtools.infra``: paths, persisted state, ports, processes.

Everything here is service-agnostic; the Kafka and PostgreSQL specifics live in
``infra_kafka`` and ``infra_postgres``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STATE_FILE_NAME = "infra.json"


class InfraError(RuntimeError):
    """A problem the user has to fix (missing tool, service that will not start...)."""


def log(message: str) -> None:
    # stdout is reserved for the shell exports, so `eval "$(scripts/infra up)"` works.
    print(f"[infra] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paths


def find_repo_root() -> Path:
    """The workspace root: the folder holding ``infra/kafka`` and the root pyproject.

    Found from this file first (the package is installed editable from the repo), then
    from the working directory, so test fixtures work from any cwd.
    """
    override = os.environ.get("GUARD_REPO_ROOT")
    if override:
        return Path(override).resolve()
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for candidate in (start, *start.parents):
            if (candidate / "infra" / "kafka" / "pom.xml").is_file() and (
                candidate / "pyproject.toml"
            ).is_file():
                return candidate
    raise InfraError("cannot find the repository root (a folder with infra/kafka/pom.xml)")


@dataclass(frozen=True)
class Paths:
    """Every file the infra tool reads or writes, derived from the repo root."""

    root: Path

    @property
    def local(self) -> Path:
        return self.root / ".local"

    @property
    def state_file(self) -> Path:
        return self.local / STATE_FILE_NAME

    @property
    def lock_file(self) -> Path:
        return self.local / "infra.lock"

    # Kafka
    @property
    def kafka_templates(self) -> Path:
        return self.root / "infra" / "kafka"

    @property
    def kafka_dir(self) -> Path:
        return self.local / "kafka"

    @property
    def kafka_data(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def kafka_logs(self) -> Path:
        return self.kafka_dir / "logs"

    @property
    def kafka_properties(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def kafka_pid(self) -> Path:
        return self.kafka_dir / "kafka.pid"

    @property
    def kafka_stdout(self) -> Path:
        return self.kafka_logs / "kafka.out"

    # PostgreSQL
    @property
    def pg_dir(self) -> Path:
        return self.local / "postgres"

    @property
    def pg_data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def pg_log(self) -> Path:
        return self.pg_dir / "postgres.log"

    @property
    def pg_socket_dir(self) -> Path:
        return self.pg_dir / "run"


def cache_dir() -> Path:
    """Downloads shared by every checkout on the machine (outside git)."""
    configured = os.environ.get("GUARD_CACHE_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "guard-incidents"
    return base.expanduser()


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Serialise up/down (or a download) across processes: parallel test sessions,
    two shells, two checkouts sharing the jar cache."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- state


def load_state(path: Path) -> dict[str, int | str]:
    """Persisted settings (ports, cluster id); an unreadable file counts as empty."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, int | str)}


def save_state(path: Path, state: Mapping[str, int | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(state), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves half a JSON file


# --------------------------------------------------------------------------- ports


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on ``host:port`` right now.

    SO_REUSEADDR mirrors what the JVM and PostgreSQL do, so sockets lingering in
    TIME_WAIT after a restart do not make us wander off to another port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ephemeral_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def choose_port(
    state: dict[str, int | str],
    key: str,
    default: int,
    *,
    reserved: Sequence[int] = (),
    is_free: Callable[[int], bool] = port_is_free,
) -> int:
    """Return the port for ``key``, keeping the persisted one when still usable.

    Only call this while our own service is *not* running (a running service holds
    its port, which would look busy). Order: persisted port, the default, then any
    free ephemeral port. The choice is written into ``state`` (caller saves it).
    ``is_free`` is injectable for tests.
    """
    persisted = state.get(key)
    candidates = [persisted] if isinstance(persisted, int) else []
    candidates.append(default)
    busy: list[int] = []
    for port in candidates:
        if port in busy or port in reserved:
            continue
        if is_free(port):
            return _take_port(state, key, port, busy)
        busy.append(port)
    for _ in range(50):
        port = ephemeral_port()
        if port not in reserved and is_free(port):
            return _take_port(state, key, port, busy)
    raise InfraError(f"no free TCP port found for {key}")


def _take_port(state: dict[str, int | str], key: str, port: int, busy: Sequence[int]) -> int:
    if busy:
        taken = ", ".join(str(p) for p in busy)
        log(f"{key}: port {taken} is taken by another program; using {port}")
    state[key] = port
    return port


def tcp_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Cheap liveness pre-check before a real protocol request."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- processes


def pid_alive(pid: int) -> bool:
    """True for a running process; zombies (dead, not yet reaped) count as dead."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    # Field 3, after the parenthesised command name (which may contain spaces).
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in {"Z", "X"}


def process_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find_processes(*needles: str) -> list[int]:
    """PIDs whose command line contains every needle (our own process excluded).

    Used to find a broker whose pid file was lost, so we never start a second one
    on the same data directory.
    """
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmdline = process_cmdline(int(entry.name))
        matches = bool(cmdline) and all(any(n in part for part in cmdline) for n in needles)
        if matches and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def read_pid_file(path: Path) -> int | None:
    try:
        first = path.read_text().split()[0]
        return int(first)
    except (OSError, ValueError, IndexError):
        return None


def wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    return not pid_alive(pid)


def terminate(pid: int, *, name: str, grace: float, first_signal: int = signal.SIGTERM) -> None:
    """Graceful stop: ``first_signal``, wait ``grace`` seconds, then SIGKILL."""
    if not pid_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first_signal)
    if wait_for_exit(pid, grace):
        return
    log(f"{name} (pid {pid}) did not stop within {grace:.0f}s; sending SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for_exit(pid, 10)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def run_checked(
    cmd: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a helper command; on failure raise InfraError carrying its output."""
    try:
        result = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise InfraError(f"{what}: {cmd[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise InfraError(f"{what}: timed out after {timeout}s") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise InfraError(f"{what} failed (exit {result.returncode}):\n{output[-4000:]}")
    return result
