"""Run the whole system locally: infrastructure, migrations, the five services and demo data.

``scripts/up`` calls ``python -m guard_devtools.system up``; ``scripts/down`` calls ``down``.
Each service runs as its own process (``python -m guard_<svc>``) with logs in ``.local/logs``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
RUN_DIR = REPO / ".local" / "run"
LOG_DIR = REPO / ".local" / "logs"
API_PORT = int(os.environ.get("GUARD_API_PORT", "8000"))


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return f"guard_{self.name}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"


#: Every service defaults to production; the local system is a development one, said explicitly.
DEVELOPMENT = "development"
SERVICES = [
    Service(
        "ingest",
        8001,
        {"GUARD_INGEST_OPS_PORT": "8001", "GUARD_INGEST_ENVIRONMENT": DEVELOPMENT},
    ),
    Service(
        "analytics",
        8002,
        {"GUARD_ANALYTICS_OPS_PORT": "8002", "GUARD_ANALYTICS_ENVIRONMENT": DEVELOPMENT},
    ),
    Service(
        "exporter",
        8003,
        # Local runs sign with the public development key; production refuses to start without one.
        {"GUARD_EXPORTER_OPS_PORT": "8003", "GUARD_EXPORTER_ENVIRONMENT": DEVELOPMENT},
    ),
    Service(
        "notifier",
        8004,
        {
            "GUARD_NOTIFIER_OPS_PORT": "8004",
            # development: the demo's receiver on 127.0.0.1 may be called
            "GUARD_NOTIFIER_ENVIRONMENT": DEVELOPMENT,
            "GUARD_NOTIFIER_CONSOLE_BASE_URL": f"http://127.0.0.1:{API_PORT}",
        },
    ),
    Service(
        "api",
        API_PORT,
        {"GUARD_API_PORT": str(API_PORT), "GUARD_API_ENVIRONMENT": DEVELOPMENT},
    ),
]


def _pid_file(service: Service) -> Path:
    return RUN_DIR / f"{service.name}.pid"


def _running_pid(service: Service) -> int | None:
    try:
        pid = int(_pid_file(service).read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(service: Service, base_env: dict[str, str]) -> None:
    if _running_pid(service) is not None and _healthy(service.health_url):
        print(f"{service.name}: already running")
        return
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{service.name}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", service.module],
        env={**base_env, **service.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=REPO,
    )
    _pid_file(service).write_text(str(process.pid))
    print(f"{service.name}: started (pid {process.pid}, log .local/logs/{service.name}.log)")


def wait_healthy(service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(service.health_url):
            return
        if _running_pid(service) is None:
            break
        time.sleep(0.5)
    log = LOG_DIR / f"{service.name}.log"
    tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
    raise SystemExit(f"{service.name} did not become healthy:\n" + "\n".join(tail))


def stop(service: Service) -> None:
    pid = _running_pid(service)
    if pid is None:
        return
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        if _running_pid(service) is None:
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
    _pid_file(service).unlink(missing_ok=True)
    print(f"{service.name}: stopped")


def up(kafka: str, database_url: str) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka, "DATABASE_URL": database_url}
    from guard_storage.migrate import upgrade

    upgrade(database_url)
    for service in SERVICES:
        start(service, env)
    for service in SERVICES:
        wait_healthy(service)
        print(f"{service.name}: healthy at {service.health_url}")


def load_demo(kafka: str) -> str:
    """Publish the demo story, wait until the API shows it, return a demo token."""
    import asyncio
    import json
    from datetime import UTC, datetime

    from guard_contracts.topics import DEFAULT_TOPICS
    from guard_devtools.demo import publish
    from guard_devtools.token import mint

    for topic, count in asyncio.run(publish(kafka, DEFAULT_TOPICS, datetime.now(UTC))).items():
        print(f"demo: published {count} events to {topic}")
    token = mint("demo")
    request = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}/api/v1/incidents/active",
        headers={"Authorization": f"Bearer {token}"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if json.load(response).get("total", 0) > 0:
                    return token
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit("the demo incidents did not appear within 60 s; see .local/logs/")


def _demo_notifications(kafka: str, token: str) -> None:
    import asyncio

    from guard_contracts.topics import DEFAULT_TOPICS
    from guard_devtools import demo_notifications

    asyncio.run(
        demo_notifications.run(f"http://127.0.0.1:{API_PORT}", token, kafka, DEFAULT_TOPICS)
    )


def console_url() -> str:
    """The console's address on the local gateway (the token is never put in a URL)."""
    return f"http://127.0.0.1:{API_PORT}/console/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status"])
    args = parser.parse_args()
    if args.action == "down":
        for service in reversed(SERVICES):
            stop(service)
        return
    if args.action == "status":
        down = [s.name for s in SERVICES if not _healthy(s.health_url)]
        for service in SERVICES:
            print(f"{service.name}: {'down' if service.name in down else 'healthy'}")
        raise SystemExit(1 if down else 0)
    kafka = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    up(kafka, os.environ["DATABASE_URL"])
    token = load_demo(kafka)
    _demo_notifications(kafka, token)
    gateway = f"http://127.0.0.1:{API_PORT}"
    print()
    print("The system is up. Demo token (tenant 'demo', valid 12 h):")
    print(f"  export GUARD_TOKEN={token}")
    print("Open the Guard Console (paste the token, or press 'Use the demo tenant'):")
    print(f"  {console_url()}")
    if not _healthy(f"{console_url()}vendor/lit-html.js"):
        print("  (its npm assets are missing: run scripts/bootstrap, which runs npm ci)")
    print(f"API docs: {gateway}/docs")
    print("List the demo incidents:")
    print(f'  curl -s -H "Authorization: Bearer $GUARD_TOKEN" {gateway}/api/v1/incidents/active')
    print("Stop everything with scripts/down.")


if __name__ == "__main__":
    main()
