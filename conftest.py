"""Root conftest: the shared integration fixtures live in guard_devtools.testing."""

pytest_plugins = ["guard_devtools.testing", "guard_devtools.services"]
