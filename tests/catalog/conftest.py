# Once tests/conftest.py imports these fixtures, remove this import (one server per session).
from tests.support.postgres import catalog, catalog_db, embedded_pg  # noqa: F401
