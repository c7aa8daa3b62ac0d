"""Post-provision: a PostgreSQL role for each managed identity, and what each may do.

Run by ``postprovision.sh`` (azd hook) as the server's Entra administrator (the deployer),
with the values azd exports from main.bicep's outputs. Idempotent: run it again after every
provision, and after the first deploy (so tables the app created get the worker's grants).

    Function app identity  CONNECT; USAGE and CREATE on schema public: it applies the
                           catalog migrations on start and owns the tables it creates.
    Worker identity        CONNECT; USAGE on schema public; SELECT, INSERT, UPDATE on the
                           app's tables (node progress), now and for tables created later.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import psycopg
from psycopg import sql

ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"


@dataclass(frozen=True)
class Identity:
    role: str  # the managed identity's name: the PGUSER its app connects as
    object_id: str  # its service principal's object id


def create_principal(conn: psycopg.Connection, identity: Identity) -> bool:
    """Create the Entra-mapped role unless it exists; True if created (run in ``postgres``)."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (identity.role,)).fetchone()
    if exists:
        return False
    conn.execute(
        "SELECT * FROM pgaadauth_create_principal_with_oid(%s, %s, 'service', false, false)",
        (identity.role, identity.object_id),
    )
    return True


def grant_statements(database: str, app_role: str, worker_role: str) -> list[sql.Composed]:
    """The grants, in order, run in the app's database as its administrator."""
    db = sql.Identifier(database)
    app, worker = sql.Identifier(app_role), sql.Identifier(worker_role)
    return [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, app),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, worker),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(app),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(worker),
        # The app's tables are the app's: grants on them, and default privileges for tables
        # it creates later, are given as the app. The admin may act as it, never inherits it.
        sql.SQL("GRANT {} TO CURRENT_USER WITH INHERIT FALSE").format(app),
        sql.SQL("SET ROLE {}").format(app),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO {}"
        ).format(worker),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(worker),
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {}").format(worker),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(worker),
        sql.SQL("RESET ROLE"),
    ]


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"postgres_roles: {name} is not set (run `azd provision`, which exports it)")
    return value


def _connect(host: str, user: str, dbname: str, password: str) -> psycopg.Connection:
    return psycopg.connect(
        host=host, user=user, dbname=dbname, password=password, sslmode="require", autocommit=True
    )


def main() -> None:
    from azure.identity import DefaultAzureCredential

    host, admin = _env("POSTGRES_HOST"), _env("POSTGRES_ADMIN_NAME")
    database = _env("POSTGRES_DATABASE")
    app = Identity(_env("FUNCTION_IDENTITY_NAME"), _env("FUNCTION_IDENTITY_PRINCIPAL_ID"))
    worker = Identity(_env("WORKER_IDENTITY_NAME"), _env("WORKER_IDENTITY_PRINCIPAL_ID"))
    token = DefaultAzureCredential().get_token(ENTRA_SCOPE).token
    with _connect(host, admin, "postgres", token) as conn:
        for identity in (app, worker):
            created = create_principal(conn, identity)
            print(f"postgres_roles: role {identity.role}: {'created' if created else 'exists'}")
    with _connect(host, admin, database, token) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for statement in grant_statements(database, app.role, worker.role):
            conn.execute(statement)
    print(f"postgres_roles: grants in {database} done for {app.role} and {worker.role}")


if __name__ == "__main__":
    main()
