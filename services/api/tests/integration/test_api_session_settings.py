"""Every gateway session runs with the settings its statements are tuned for
(docs/operations-gateway.md#session-settings), on real PostgreSQL: JIT off and a work_mem that
keeps a large tenant's analytics sorts in memory. Checked on a pooled connection after a checkout
cycle, so a connection the pool recycles keeps them too."""

from __future__ import annotations

import pytest

from guard_api.drivers.database import SESSION_SETTINGS, Database
from guard_devtools.testing import Servers

pytestmark = pytest.mark.integration


@pytest.mark.asyncio(loop_scope="session")
async def test_every_pooled_connection_has_the_session_settings(servers: Servers) -> None:
    database = Database(servers.database_url, pool_size=2)
    try:
        for _ in range(3):  # check out, return, check out again
            async with database.connect() as conn:
                jit = (await conn.exec_driver_sql("SHOW jit")).scalar_one()
                work_mem = (await conn.exec_driver_sql("SHOW work_mem")).scalar_one()
            assert (jit, work_mem) == ("off", "16MB")
            assert SESSION_SETTINGS == {"jit": "off", "work_mem": "16MB"}
    finally:
        await database.dispose()
