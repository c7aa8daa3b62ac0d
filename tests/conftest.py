from collections.abc import Iterator

import pytest

from tests.support.azurite import Azurite, run_azurite
from tests.support.postgis import postgis, vector_schema  # noqa: F401
from tests.support.postgres import catalog, catalog_db, embedded_pg  # noqa: F401


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """A real Azurite for the whole test session (Blob, Queue and Table on free ports)."""
    with run_azurite() as instance:
        yield instance
