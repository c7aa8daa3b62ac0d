from collections.abc import Iterator

import pytest

from tests.engine.support import Engine, run_engine
from tests.support.postgres import fresh_catalog


@pytest.fixture(scope="module")
def engine(azurite, embedded_pg, tmp_path_factory) -> Iterator[Engine]:
    """The product app on devhost, with its own catalog schema, for one test module."""
    data_dir = tmp_path_factory.mktemp("contract")
    with fresh_catalog(embedded_pg) as db, run_engine(azurite, db.url, data_dir) as running:
        yield running
