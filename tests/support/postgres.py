"""A real PostgreSQL for tests: one embedded server per session, a fresh database per test.

The server is the same embedded ``pgserver`` the app uses, under a temporary data dir. A
template database is migrated once; each test's database is a copy of it (``CREATE
DATABASE ... TEMPLATE``, a few milliseconds), or an empty one for migration tests.

Wire into a conftest::

    from tests.support.postgres import catalog, embedded_pg  # noqa: F401
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from adapters.catalog.connection import open_pool
from adapters.catalog.embedded import database_url, start_embedded, stop_embedded
from adapters.catalog.migrate import upgrade
from adapters.catalog.repository import JobCatalog
from adapters.catalog.settings import CatalogSettings

TEMPLATE = "dagmaster_template"


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A running embedded server. ``admin_url`` points at its ``postgres`` database."""

    data_dir: Path  # what DAGMASTER_DATA_DIR would be
    admin_url: str

    def url(self, dbname: str) -> str:
        return database_url(self.admin_url, dbname)

    def create_database(self, name: str, template: str | None = None) -> str:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(query)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(query)


@dataclass(frozen=True)
class CatalogHandle:
    """One test's database: its URL, an open pool and a ``JobCatalog`` on it."""

    url: str
    pool: ConnectionPool
    catalog: JobCatalog


def pool_for(url: str, max_size: int = 4) -> ConnectionPool:
    """A small pool on ``url`` through the app's own ``open_pool`` (DATABASE_URL path)."""
    return open_pool(CatalogSettings(DATABASE_URL=url, DAGMASTER_PG_POOL_MAX=max_size))


@contextlib.contextmanager
def run_embedded_postgres(data_dir: Path) -> Iterator[EmbeddedPostgres]:
    """Start an embedded server under ``data_dir/pgdata`` with a migrated template database.

    The data directory is deleted when the block exits (if no other process still uses it).
    """
    pgdata = data_dir / "pgdata"
    server = EmbeddedPostgres(data_dir, start_embedded(pgdata, delete_on_exit=True))
    try:
        with pool_for(server.create_database(TEMPLATE), max_size=1) as pool:
            upgrade(pool)
        yield server
    finally:
        stop_embedded(pgdata)


@contextlib.contextmanager
def fresh_catalog(server: EmbeddedPostgres, *, migrated: bool = True) -> Iterator[CatalogHandle]:
    """A new database for one test (migrated unless ``migrated=False``), dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name, template=TEMPLATE if migrated else None)
    try:
        with pool_for(url) as pool:
            yield CatalogHandle(url, pool, JobCatalog(pool))
    finally:
        server.drop_database(name)


@pytest.fixture(scope="session")
def embedded_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """The session's embedded PostgreSQL (started once, about a second)."""
    with run_embedded_postgres(tmp_path_factory.mktemp("pg")) as server:
        yield server


@pytest.fixture
def catalog_db(embedded_pg: EmbeddedPostgres) -> Iterator[CatalogHandle]:
    """A fresh, migrated database for this test, with its pool and catalog."""
    with fresh_catalog(embedded_pg) as handle:
        yield handle


@pytest.fixture
def catalog(catalog_db: CatalogHandle) -> JobCatalog:
    """A ready ``JobCatalog`` on a fresh, migrated database of its own."""
    return catalog_db.catalog
