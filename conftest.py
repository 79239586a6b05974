"""Root conftest: the shared integration fixtures live in guard_devtools.testing.

Every hypothesis test is deterministic (a fixed derivation of its examples, no example database)
unless it says otherwise, so a red run is red on every re-run and every machine.
"""

from hypothesis import settings

settings.register_profile("guard", derandomize=True, database=None)
settings.load_profile("guard")

pytest_plugins = ["guard_devtools.testing", "guard_devtools.services"]
