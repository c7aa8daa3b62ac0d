"""A real PostgreSQL for tests: one embedded server per session, a fresh schema per test.

The server is the same embedded ``pgserver`` the app uses, under a temporary data dir. Each
test gets its own schema in one shared test database, selected through the connection's
``search_path``, with the migrations applied by the app's own ``upgrade`` (about 50 ms; a
database per test costs 4x that). Migration tests ask for an empty schema instead.

Wire into a conftest::

    from tests.support.postgres import catalog, catalog_db, embedded_pg  # noqa: F401
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from adapters.catalog.connection import open_pool
from adapters.catalog.embedded import ensure_database, start_embedded, stop_embedded
from adapters.catalog.migrate import upgrade
from adapters.catalog.repository import JobCatalog
from config.settings import CatalogSettings

REPO = Path(__file__).resolve().parents[2]
TEST_DATABASE = "dagmaster_test"


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A running embedded server: ``admin_url`` is its ``postgres`` db, ``url`` the test db."""

    data_dir: Path  # what DAGMASTER_DATA_DIR would be
    admin_url: str
    url: str

    def schema_url(self, schema: str) -> str:
        """The test database with ``schema`` first on the search path."""
        return make_conninfo(self.url, options=f"-c search_path={schema}")

    def execute(self, query: sql.Composable) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(query)


@dataclass(frozen=True)
class CatalogHandle:
    """One test's schema: a DATABASE_URL that selects it, an open pool, a ``JobCatalog``."""

    url: str
    pool: ConnectionPool
    catalog: JobCatalog


def pool_for(url: str, max_size: int = 4) -> ConnectionPool:
    """A small pool on ``url`` through the app's own ``open_pool`` (DATABASE_URL path)."""
    return open_pool(CatalogSettings(DATABASE_URL=url, DAGMASTER_PG_POOL_MAX=max_size))


def _no_durability(admin_url: str) -> None:
    # A throw-away server: nothing needs to survive a crash, so skip the fsyncs.
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("ALTER SYSTEM SET synchronous_commit = off")
        conn.execute("SELECT pg_reload_conf()")


@contextlib.contextmanager
def run_embedded_postgres(data_dir: Path) -> Iterator[EmbeddedPostgres]:
    """Start an embedded server under ``data_dir/pgdata`` with an empty test database.

    The data directory is deleted when the block exits (if no other process still uses it).
    """
    pgdata = data_dir / "pgdata"
    admin_url = start_embedded(pgdata, delete_on_exit=True)
    try:
        _no_durability(admin_url)
        yield EmbeddedPostgres(data_dir, admin_url, ensure_database(admin_url, TEST_DATABASE))
    finally:
        stop_embedded(pgdata)


@contextlib.contextmanager
def fresh_catalog(server: EmbeddedPostgres, *, migrated: bool = True) -> Iterator[CatalogHandle]:
    """A new schema for one test (migrated unless ``migrated=False``), dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    schema = sql.Identifier(name)
    server.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    url = server.schema_url(name)
    try:
        with pool_for(url) as pool:
            if migrated:
                upgrade(pool)
            yield CatalogHandle(url, pool, JobCatalog(pool))
    finally:
        server.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


@contextlib.contextmanager
def _scratch_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: as root, pgserver runs postgres as user "pgserver", which
    # must traverse every parent of pgdata, and each pytest start resets
    # /tmp/pytest-of-root to mode 0700 (initdb then fails with "Permission denied").
    path = Path(tempfile.mkdtemp(prefix="dagmaster-pg-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[EmbeddedPostgres]:
    """The session's embedded PostgreSQL (started once, about a second)."""
    with _scratch_dir() as data_dir, run_embedded_postgres(data_dir) as server:
        yield server


@pytest.fixture
def catalog_db(embedded_pg: EmbeddedPostgres) -> Iterator[CatalogHandle]:
    """A fresh, migrated schema for this test, with its pool and catalog."""
    with fresh_catalog(embedded_pg) as handle:
        yield handle


@pytest.fixture
def catalog(catalog_db: CatalogHandle) -> JobCatalog:
    """A ready ``JobCatalog`` on a fresh, migrated schema of its own."""
    return catalog_db.catalog
