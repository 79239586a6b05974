"""Local PostgreSQL cluster for ``guard_devtools.infra``.

A private cluster in ``.local/postgres/data`` (not the distribution's default one),
on its own port and socket folder, so it never clashes with a system PostgreSQL.
PostgreSQL refuses to run as root, so as root we run it as a system user through
``runuser``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import re
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from guard_devtools.infra_common import (
    InfraError,
    Paths,
    log,
    log_tail,
    pid_alive,
    process_cmdline,
    read_pid_file,
    run_checked,
    terminate,
)

DEFAULT_PORT = 55432
ROLE = "guard"
DATABASES = ("guard", "guard_test")
SERVICE_USERS = ("postgres", "guardpg")  # first that exists; else guardpg is created
CONF_NAME = "guard.conf"
START_ATTEMPTS = 3
# sockaddr_un.sun_path is 108 bytes; stay well below with ".s.PGSQL.<port>" appended.
MAX_SOCKET_DIR_LEN = 90


# --------------------------------------------------------------------------- URLs


def local_url(port: int, database: str = "guard") -> str:
    """The SQLAlchemy-style URL the services read from DATABASE_URL."""
    return f"postgresql+asyncpg://{ROLE}@127.0.0.1:{port}/{database}"


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants a plain libpq URL: drop SQLAlchemy's ``+driver`` suffix."""
    return re.sub(r"^(postgres(?:ql)?)\+[A-Za-z0-9_]+://", r"\1://", url)


# --------------------------------------------------------------------------- binaries


def _version_key(path: Path) -> tuple[int, ...]:
    digits = re.findall(r"\d+", path.parent.name)
    return tuple(int(d) for d in digits)


def find_bin_dir() -> Path | None:
    """Folder holding initdb, pg_ctl and postgres: PATH first, then Debian's newest."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        # Debian puts symlinks in /usr/local/bin or wrappers in /usr/bin; the real
        # binaries sit together, which pg_ctl needs to find `postgres`.
        folder = Path(on_path).resolve().parent
        if all((folder / tool).is_file() for tool in ("initdb", "postgres")):
            return folder
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)
    for folder in reversed(candidates):
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def ensure_bin_dir() -> Path:
    folder = find_bin_dir()
    if folder is not None:
        return folder
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise InfraError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install PostgreSQL "
            "(Debian: apt-get install -y postgresql) or set DATABASE_URL"
        )
    log("PostgreSQL not installed: installing Debian's postgresql package (once) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run_checked(["apt-get", "update"], what="apt-get update", env=env, timeout=900)
    run_checked(
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
        what="apt-get install postgresql",
        env=env,
        timeout=900,
    )
    folder = find_bin_dir()
    if folder is None:
        raise InfraError("apt-get installed postgresql but initdb/pg_ctl are still missing")
    return folder


# --------------------------------------------------------------------------- user


def service_user(create: bool = True) -> str | None:
    """The OS user running the server: None means ourselves (we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    if not create:
        return None
    name = SERVICE_USERS[-1]
    log(f"creating system user {name} to run PostgreSQL (it refuses to run as root)")
    run_checked(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        what="useradd",
    )
    return name


def as_user(user: str | None, cmd: Sequence[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else list(cmd)


def _chown_tree(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in (*dirs, *files):
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _ensure_traversable(path: Path, user: str | None) -> None:
    """The service user must be able to walk down to the data folder.

    Checkouts under a private home (/root is 0700) would make PostgreSQL fail with a
    bare "permission denied"; adding only the search bit (o+x) lets it through
    without making anything listable or readable.
    """
    if user is None:
        return
    for folder in reversed(path.resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            log(f"granting o+x on {folder} so the {user} user can reach {path}")
            folder.chmod(mode | stat.S_IXOTH)


# --------------------------------------------------------------------------- cluster


def socket_dir(paths: Paths) -> Path:
    """Unix socket folder: inside .local unless that path is too long for a socket."""
    preferred = paths.pg_socket_dir
    if len(str(preferred)) <= MAX_SOCKET_DIR_LEN:
        return preferred
    digest = hashlib.sha1(str(paths.root).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"guard-pg-{digest}"


def render_conf(port: int, socket_folder: Path) -> str:
    """Settings layered over initdb's postgresql.conf (rewritten on every start)."""
    return "\n".join(
        [
            "# Written by scripts/infra (guard_devtools.infra_postgres); edits are lost.",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_folder}'",
            "max_connections = 200",
            "shared_buffers = 256MB",
            # Durable like production: the crash tests rely on committed = on disk.
            "fsync = on",
            "synchronous_commit = on",
            "full_page_writes = on",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "log_min_duration_statement = 1000",
            "",
        ]
    )


# Trust, but only over the socket and IPv4 loopback: nothing else can connect.
HBA_CONF = """\
# Written by scripts/infra: local development cluster, trust on loopback only.
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
"""


def ensure_cluster(bin_dir: Path, paths: Paths, user: str | None) -> bool:
    """initdb once; True when it initialised now."""
    if (paths.pg_data / "PG_VERSION").is_file():
        return False
    # No PG_VERSION: initdb never finished, whatever is there is debris.
    shutil.rmtree(paths.pg_data, ignore_errors=True)
    paths.pg_dir.mkdir(parents=True, exist_ok=True)
    _ensure_traversable(paths.pg_dir, user)
    _chown_tree(paths.pg_dir, user)
    log(f"initialising PostgreSQL cluster in {paths.pg_data}")
    run_checked(
        as_user(
            user,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(paths.pg_data),
                "-U",
                ROLE,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        ),
        what="initdb",
        cwd=paths.pg_dir,
        timeout=300,
    )
    (paths.pg_data / "pg_hba.conf").write_text(HBA_CONF)
    with (paths.pg_data / "postgresql.conf").open("a") as conf:
        conf.write(f"\n# guard-incidents dev settings\ninclude_if_exists = '{CONF_NAME}'\n")
    _chown_tree(paths.pg_data, user)
    return True


def _check_binary_version(bin_dir: Path, paths: Paths) -> None:
    """A cluster made by another major version cannot be started: say so plainly."""
    try:
        data_version = (paths.pg_data / "PG_VERSION").read_text().strip()
    except OSError:
        return
    result = run_checked([str(bin_dir / "postgres"), "--version"], what="postgres --version")
    match = re.search(r"(\d+)", result.stdout)
    if match and match.group(1) != data_version.split(".")[0]:
        raise InfraError(
            f"{paths.pg_data} was made by PostgreSQL {data_version} but {bin_dir} is "
            f"version {match.group(1)}; run `scripts/infra down --reset` to start afresh"
        )


def port_from_conf(paths: Paths) -> int | None:
    """Port a running cluster was started with (when .local/infra.json was lost)."""
    try:
        text = (paths.pg_data / CONF_NAME).read_text()
    except OSError:
        return None
    match = re.search(r"^port = (\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def running_pid(paths: Paths) -> int | None:
    """The postmaster's pid from postmaster.pid, if that process is a live postgres."""
    pid = read_pid_file(paths.pg_data / "postmaster.pid")
    if pid is None or not pid_alive(pid):
        return None
    cmdline = " ".join(process_cmdline(pid))
    return pid if "postgres" in cmdline else None


def _await_dead_postmaster(paths: Paths, wait_s: float = 5.0) -> None:
    """After a kill -9 the old postmaster may linger briefly (exiting, or a zombie
    until init reaps it); PostgreSQL's own lock-file check counts it as running."""
    pid = read_pid_file(paths.pg_data / "postmaster.pid")
    if pid is None or pid_alive(pid):
        return
    deadline = time.monotonic() + wait_s
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def start(bin_dir: Path, paths: Paths, user: str | None, port: int) -> None:
    _check_binary_version(bin_dir, paths)
    _await_dead_postmaster(paths)
    sockets = socket_dir(paths)
    sockets.mkdir(parents=True, exist_ok=True)
    _chown_tree(sockets, user)
    conf = paths.pg_data / CONF_NAME
    conf.write_text(render_conf(port, sockets))
    _chown_tree(conf, user)
    cmd = as_user(
        user,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(paths.pg_data),
            "-l",
            str(paths.pg_log),
            "-w",
            "-t",
            "60",
            "start",
        ],
    )
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            run_checked(cmd, what="pg_ctl start", cwd=paths.pg_dir, timeout=90)
            log(f"started PostgreSQL on 127.0.0.1:{port}")
            return
        except InfraError as exc:
            if attempt == START_ATTEMPTS:
                raise InfraError(
                    f"{exc}\n--- {paths.pg_log} ---\n{log_tail(paths.pg_log)}"
                ) from exc
            # After a kill -9 of the postmaster its children take a moment to notice
            # and release the shared memory; PostgreSQL refuses to start until then.
            log(
                f"PostgreSQL did not start (attempt {attempt}), likely the remains of a "
                "crashed server still exiting; retrying in 2s"
            )
            time.sleep(2)


def stop(bin_dir: Path | None, paths: Paths, user: str | None) -> bool:
    """Fast shutdown via pg_ctl (SIGINT), escalating to SIGQUIT/SIGKILL; True if it ran."""
    pid = running_pid(paths)
    if pid is None:
        return False
    log(f"stopping PostgreSQL (pid {pid})")
    if bin_dir is not None:
        try:
            run_checked(
                as_user(
                    user,
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(paths.pg_data),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        "30",
                        "stop",
                    ],
                ),
                what="pg_ctl stop",
                cwd=paths.pg_dir,
                timeout=60,
            )
            return True
        except InfraError as exc:
            log(str(exc))
    terminate(pid, name="PostgreSQL", grace=10, first_signal=signal.SIGQUIT)
    return True


# --------------------------------------------------------------------------- protocol


async def probe(url: str, wait_s: float = 5.0) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=wait_s)
    except Exception:
        return False
    try:
        return bool(await conn.fetchval("SELECT 1", timeout=wait_s) == 1)
    except Exception:
        return False
    finally:
        await conn.close()


async def wait_ready(url: str, wait_s: float = 30.0) -> None:
    deadline = time.monotonic() + wait_s
    while not await probe(url, wait_s=min(5.0, max(1.0, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            raise InfraError(f"PostgreSQL at {url} not reachable after {wait_s:.0f}s")
        await asyncio.sleep(0.3)


async def ensure_databases(port: int, names: Sequence[str] = DATABASES) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(local_url(port, "postgres")), timeout=10)
    try:
        for name in names:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                continue
            try:
                # Identifiers cannot be bound parameters; names come from our constant.
                await conn.execute(f'CREATE DATABASE "{name}"')
                log(f"created database {name}")
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()
