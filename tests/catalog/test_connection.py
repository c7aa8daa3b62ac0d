import subprocess
import sys
import textwrap
from dataclasses import dataclass, field

import psycopg
import pytest

from adapters.catalog.connection import (
    ENTRA_SCOPE,
    close_pool,
    connection_config,
    get_pool,
    open_pool,
)
from adapters.catalog.errors import CatalogUnavailable
from adapters.catalog.settings import CatalogSettings
from tests.support.postgres import REPO


@dataclass
class FakeAccessToken:
    token: str
    expires_on: int = 0


@dataclass
class FakeCredential:
    """Stands in for azure-identity's DefaultAzureCredential (same get_token interface)."""

    scopes_requested: list[tuple[str, ...]] = field(default_factory=list)

    def get_token(self, *scopes: str) -> FakeAccessToken:
        self.scopes_requested.append(scopes)
        return FakeAccessToken(f"token-{len(self.scopes_requested)}")


def entra_settings() -> CatalogSettings:
    return CatalogSettings.from_env(
        {
            "DAGMASTER_PG_ENTRA": "true",
            "PGHOST": "dm.postgres.database.azure.com",
            "PGUSER": "dagmaster-func",
            "PGDATABASE": "catalog",
        }
    )


def test_entra_password_is_a_token_for_the_postgres_scope():
    credential = FakeCredential()
    config = connection_config(entra_settings(), credential)
    assert config.kwargs() == {"password": "token-1"}
    assert credential.scopes_requested == [(ENTRA_SCOPE,)]
    assert ENTRA_SCOPE == "https://ossrdbms-aad.database.windows.net/.default"


def test_entra_fetches_a_new_token_for_every_connection():
    credential = FakeCredential()
    config = connection_config(entra_settings(), credential)
    passwords = [config.kwargs()["password"] for _ in range(2)]
    assert passwords == ["token-1", "token-2"]


def test_entra_connection_requires_ssl_to_the_configured_server():
    params = psycopg.conninfo.conninfo_to_dict(
        connection_config(entra_settings(), FakeCredential()).conninfo
    )
    assert params["sslmode"] == "require"
    assert params["host"] == "dm.postgres.database.azure.com"
    assert params["user"] == "dagmaster-func"
    assert params["dbname"] == "catalog"
    assert "password" not in params


def test_entra_token_is_sent_as_the_password_when_connecting(monkeypatch):
    sent: dict = {}

    def fake_connect(conninfo: str, **kwargs):
        sent.update(kwargs, conninfo=conninfo)
        raise psycopg.OperationalError("stop here")

    monkeypatch.setattr(psycopg, "connect", fake_connect)
    with pytest.raises(CatalogUnavailable):
        open_pool(entra_settings(), FakeCredential())
    assert sent["password"] == "token-1"


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


STARTED = "SELECT extract(epoch FROM pg_postmaster_start_time())"


def test_second_process_shares_the_embedded_server_and_leaves_it_running(embedded_pg):
    script = textwrap.dedent(
        f"""
        from adapters.catalog.connection import open_pool
        from adapters.catalog.settings import CatalogSettings
        with open_pool(CatalogSettings(DAGMASTER_DATA_DIR={str(embedded_pg.data_dir)!r})) as p:
            with p.connection() as conn:
                print(conn.execute({STARTED!r}).fetchone()[0])
        """
    )
    with psycopg.connect(embedded_pg.admin_url) as conn:
        started = conn.execute("SELECT extract(epoch FROM pg_postmaster_start_time())").fetchone()[
            0
        ]
    child = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == str(started)  # the same server, not a second one
    with psycopg.connect(embedded_pg.admin_url) as conn:  # still up after the child exited
        assert conn.execute("SELECT 1").fetchone() == (1,)
