"""A throw-away PostgreSQL cluster for tests that stop or crash the server.

Never stop the shared server other tests use: a test that needs an outage starts its own cluster
here (own data folder under a temporary directory, own free port), built with the same
``infra_postgres`` helpers as ``scripts/infra``, and tears it down afterwards::

    with PrivatePostgres(tmp_path) as pg:
        upgrade(pg.url)            # a migrated "guard" database
        pg.stop_immediately()      # pg_ctl -m immediate stop: a crash, no shutdown checkpoint
        pg.start()                 # same data, same port
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType

from guard_devtools import infra_postgres as pg
from guard_devtools.infra_common import Paths, ephemeral_port, run_checked


class PrivatePostgres:
    def __init__(self, root: Path, database: str = "guard") -> None:
        self.paths = Paths(root)
        self.database = database
        self.bin_dir = pg.ensure_bin_dir()
        self.user = pg.service_user()
        self.port = ephemeral_port()

    @property
    def url(self) -> str:
        return pg.local_url(self.port, self.database)

    def start(self) -> None:
        pg.start(self.bin_dir, self.paths, self.user, self.port)

    def stop_immediately(self) -> None:
        """``pg_ctl -m immediate stop``: every backend is killed, clients see their sockets die."""
        run_checked(
            pg.as_user(
                self.user,
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.paths.pg_data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            ),
            what="pg_ctl stop -m immediate",
            cwd=self.paths.pg_dir,
            timeout=60,
        )

    def __enter__(self) -> PrivatePostgres:
        pg.ensure_cluster(self.bin_dir, self.paths, self.user)
        self.start()
        try:
            asyncio.run(pg.ensure_databases(self.port, [self.database]))
        except BaseException:
            pg.stop(self.bin_dir, self.paths, self.user)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pg.stop(self.bin_dir, self.paths, self.user)
