import sys

import psycopg
import pytest

from adapters.catalog import get_catalog, upgrade
from adapters.catalog.connection import close_pool, get_pool, open_pool
from adapters.catalog.errors import CatalogUnavailable
from config.settings import CatalogSettings
from tests.support.postgres import fresh_catalog


def test_unreachable_database_url_error_names_database_url():
    url = "postgresql://someone:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(CatalogUnavailable, match="DATABASE_URL") as raised:
        open_pool(CatalogSettings(DATABASE_URL=url, DAGMASTER_PG_CONNECT_TIMEOUT=2))
    assert "s3cret" not in str(raised.value)


def test_malformed_database_url_error_names_database_url():
    with pytest.raises(CatalogUnavailable, match="DATABASE_URL"):
        open_pool(CatalogSettings(DATABASE_URL="postgresql://[bad"))


def test_without_database_url_uses_embedded_server_under_data_dir(embedded_pg):
    settings = CatalogSettings(DAGMASTER_DATA_DIR=embedded_pg.data_dir)
    with open_pool(settings) as pool, pool.connection() as conn:
        row = conn.execute("SELECT current_database(), current_setting('data_directory')")
        assert row.fetchone() == ("dagmaster", str((embedded_pg.data_dir / "pgdata").resolve()))


def test_process_pool_is_created_once(monkeypatch, catalog_db):
    monkeypatch.setenv("DATABASE_URL", catalog_db.url)
    try:
        assert get_pool() is get_pool()
    finally:
        close_pool()


def test_get_catalog_applies_pending_migrations_once(monkeypatch, embedded_pg):
    with fresh_catalog(embedded_pg, migrated=False) as db:
        monkeypatch.setenv("DATABASE_URL", db.url)
        try:
            get_catalog()
            assert upgrade(db.pool) == []  # already applied by get_catalog
            assert get_catalog().ping()
        finally:
            close_pool()


def test_without_any_setting_or_pgserver_the_error_says_to_set_database_url(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pgserver", None)  # as in Azure: no dev dependencies
    with pytest.raises(CatalogUnavailable, match="Set DATABASE_URL"):
        open_pool(CatalogSettings(DAGMASTER_DATA_DIR=tmp_path))


def test_pool_replaces_connections_killed_by_a_server_restart(catalog_db, embedded_pg):
    with catalog_db.pool.connection() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(embedded_pg.admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert catalog_db.catalog.ping() is True
