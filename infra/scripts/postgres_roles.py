"""Post-provision: a PostgreSQL role for each managed identity, and what each may do.

Run by ``postprovision.sh`` (azd hook) as the server's Entra administrator (the deployer),
with the values azd exports from main.bicep's outputs. Idempotent: run it again after every
provision, and after the first deploy (so tables the app created get the worker's grants).

    Function app identity  CONNECT and CREATE on the database, USAGE and CREATE on schema
                           public: it applies the catalog migrations on start, owns the tables
                           it creates, and owns the vector schema (DAGMASTER_VECTOR_SCHEMA),
                           where vector_plan_chunks creates each job's table.
    Worker identity        CONNECT; USAGE on both schemas; SELECT, INSERT, UPDATE on the app's
                           catalog tables (node progress) and SELECT, INSERT, DELETE on its
                           vector tables (vector_load_chunk: delete-then-COPY), now and for
                           tables created later. It cannot change either schema.
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


def grant_statements(
    database: str, app_role: str, worker_role: str, vector_schema: str
) -> list[sql.Composed]:
    """The grants, in order, run in the app's database as its administrator."""
    db, vector = sql.Identifier(database), sql.Identifier(vector_schema)
    app, worker = sql.Identifier(app_role), sql.Identifier(worker_role)
    return [
        sql.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(db, app),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, worker),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(app),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(worker),
        # The app's tables are the app's: grants on them, and default privileges for tables
        # it creates later, are given as the app. The admin may act as it, never inherits it.
        sql.SQL("GRANT {} TO CURRENT_USER WITH INHERIT FALSE").format(app),
        sql.SQL("SET ROLE {}").format(app),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(vector),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(vector, worker),
        *_table_grants(sql.Identifier("public"), worker, "SELECT, INSERT, UPDATE"),
        *_table_grants(vector, worker, "SELECT, INSERT, DELETE"),
        sql.SQL("RESET ROLE"),
    ]


def _table_grants(
    schema: sql.Identifier, worker: sql.Identifier, rights: str
) -> list[sql.Composed]:
    """``rights`` on the schema's tables (and its sequences' use), present and future."""
    on_tables, on_sequences = sql.SQL(rights), sql.SQL("USAGE, SELECT")
    return [
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            schema, on_tables, worker
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON SEQUENCES TO {}").format(
            schema, on_sequences, worker
        ),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(on_tables, schema, worker),
        sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            on_sequences, schema, worker
        ),
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
    database, vector_schema = _env("POSTGRES_DATABASE"), _env("POSTGRES_VECTOR_SCHEMA")
    app = Identity(_env("FUNCTION_IDENTITY_NAME"), _env("FUNCTION_IDENTITY_PRINCIPAL_ID"))
    worker = Identity(_env("WORKER_IDENTITY_NAME"), _env("WORKER_IDENTITY_PRINCIPAL_ID"))
    token = DefaultAzureCredential().get_token(ENTRA_SCOPE).token
    with _connect(host, admin, "postgres", token) as conn:
        for identity in (app, worker):
            created = create_principal(conn, identity)
            print(f"postgres_roles: role {identity.role}: {'created' if created else 'exists'}")
    with _connect(host, admin, database, token) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for statement in grant_statements(database, app.role, worker.role, vector_schema):
            conn.execute(statement)
    print(f"postgres_roles: grants in {database} done for {app.role} and {worker.role}")


if __name__ == "__main__":
    main()
