import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from azure.core.credentials import AccessToken
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from adapters.catalog.connection import ENTRA_SCOPE, connection_config, open_pool
from adapters.catalog.errors import CatalogUnavailable
from config.settings import CatalogSettings
from tests.support.credentials import FakeCredential
from tests.support.postgres import TEST_DATABASE, EmbeddedPostgres


def entra_settings(**env: str) -> CatalogSettings:
    defaults = {
        "DAGMASTER_PG_ENTRA": "true",
        "PGHOST": "dm.postgres.database.azure.com",
        "PGUSER": "dagmaster-func",
        "PGDATABASE": "catalog",
    }
    return CatalogSettings.from_env(defaults | env)


@dataclass(frozen=True)
class PasswordRole:
    host: str  # the embedded server's socket directory
    user: str
    password: str


@pytest.fixture
def password_role(embedded_pg: EmbeddedPostgres) -> Iterator[PasswordRole]:
    """A login role that must authenticate with a password (scram), on the embedded server.

    The embedded server trusts every local user; one pg_hba line makes this role the
    exception, so a connection only succeeds if the token really is sent as the password.
    """
    role = PasswordRole(
        conninfo_to_dict(embedded_pg.admin_url)["host"], f"entra_{uuid.uuid4().hex[:8]}", "tok"
    )
    with psycopg.connect(embedded_pg.admin_url, autocommit=True) as conn:
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        original = hba.read_text()
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role.user), sql.Literal(role.password)
            )
        )
        hba.write_text(f"local all {role.user} scram-sha-256\n{original}")
        conn.execute("SELECT pg_reload_conf()")
        try:
            yield role
        finally:
            hba.write_text(original)
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role.user)))


def test_entra_password_is_a_token_for_the_postgres_scope():
    credential = FakeCredential()
    config = connection_config(entra_settings(), credential)
    assert config.kwargs() == {"password": "token"}
    assert credential.scopes_requested == [("https://ossrdbms-aad.database.windows.net/.default",)]
    assert ENTRA_SCOPE == "https://ossrdbms-aad.database.windows.net/.default"


def test_entra_connection_requires_ssl_to_the_configured_server():
    params = conninfo_to_dict(connection_config(entra_settings(), FakeCredential()).conninfo)
    assert params["sslmode"] == "require"
    assert params["host"] == "dm.postgres.database.azure.com"
    assert params["user"] == "dagmaster-func"
    assert params["dbname"] == "catalog"
    assert "password" not in params


def test_entra_token_is_the_password_of_every_new_connection(password_role):
    # sslmode=require is ignored on a Unix socket, so the Entra path can run locally.
    credential = FakeCredential(token=password_role.password)
    settings = entra_settings(
        PGHOST=password_role.host,
        PGUSER=password_role.user,
        PGDATABASE=TEST_DATABASE,
        DAGMASTER_PG_POOL_MIN="2",
    )
    with open_pool(settings, credential) as pool:
        pool.wait()
        with pool.connection() as conn:
            assert conn.execute("SELECT current_user").fetchone() == (password_role.user,)
    # one probe connection, then one token per pooled connection
    assert credential.scopes_requested == [(ENTRA_SCOPE,)] * 3


def test_wrong_entra_token_fails_naming_the_entra_settings(password_role):
    settings = entra_settings(
        PGHOST=password_role.host, PGUSER=password_role.user, PGDATABASE=TEST_DATABASE
    )
    with pytest.raises(CatalogUnavailable, match=r"PGHOST/PGUSER \(Entra ID\)") as raised:
        open_pool(settings, FakeCredential(token="expired"))
    assert "password authentication failed" in str(raised.value)


class BrokenCredential:
    def get_token(self, *scopes: str) -> AccessToken:
        raise RuntimeError("no managed identity endpoint")


def test_credential_failure_is_reported_as_catalog_unavailable():
    with pytest.raises(CatalogUnavailable, match="no managed identity endpoint"):
        open_pool(entra_settings(), BrokenCredential())
