"""Published vector data: one stable view per asset in the public schema.

``publish_view`` creates or replaces ``<public schema>.<view>`` as a SELECT of the published
version's table: its ``ogc_fid``, ``geom`` and source columns, not the loader's
``_dm_chunk``. The view runs with its owner's rights, so the readers' role needs nothing on
the tables: it gets USAGE on the public schema and SELECT on the view, nothing else.
Replacing keeps the view's identity (and what depends on it) when the new version's columns
extend the old ones; otherwise the view is dropped and created again, in the same
transaction, so a reader sees the old version or the new one. ``drop_view`` removes it.
Both run again safely.
"""

from __future__ import annotations

import psycopg
from psycopg import errors, sql

from adapters.postgis.tables import CHUNK, qualified


class TableMissing(RuntimeError):
    """The version's table is not there (never loaded, or dropped)."""


class ReaderRoleMissing(RuntimeError):
    """The readers' role the settings name does not exist."""


def view_comment(schema: str, table: str) -> str:
    return f"dagmaster published {schema}.{table}"


def publish_view(
    conn: psycopg.Connection,
    public_schema: str,
    view: str,
    *,
    schema: str,
    table: str,
    reader_role: str | None,
) -> list[str]:
    """Point ``public_schema.view`` at ``schema.table`` (see the module doc); its columns."""
    target = qualified(public_schema, view)
    with conn.transaction():
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(public_schema))
        )
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{public_schema}.{view}",))
        columns = _columns(conn, schema, table)
        if not columns:
            raise TableMissing(f"table {schema}.{table} does not exist: nothing to publish")
        select = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), qualified(schema, table)
        )
        try:
            with conn.transaction():  # a savepoint: an incompatible view is replaced below
                conn.execute(sql.SQL("CREATE OR REPLACE VIEW {} AS {}").format(target, select))
        except errors.InvalidTableDefinition:  # columns dropped, renamed or retyped
            conn.execute(sql.SQL("DROP VIEW {}").format(target))
            conn.execute(sql.SQL("CREATE VIEW {} AS {}").format(target, select))
        comment = sql.Literal(view_comment(schema, table))
        conn.execute(sql.SQL("COMMENT ON VIEW {} IS {}").format(target, comment))
        if reader_role:
            _grant(conn, public_schema, target, reader_role)
    return columns


def drop_view(conn: psycopg.Connection, public_schema: str, view: str) -> bool:
    """Remove the view; False if there was none. Never touches a table."""
    with conn.transaction():
        row = conn.execute(
            "SELECT 1 FROM pg_views WHERE schemaname = %s AND viewname = %s",
            (public_schema, view),
        ).fetchone()
        if row is not None:
            conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(qualified(public_schema, view)))
    return row is not None


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
        "AND attnum > 0 AND NOT attisdropped AND attname <> %s ORDER BY attnum",
        (f'"{schema}"."{table}"', CHUNK),
    ).fetchall()
    return [r[0] for r in rows]


def _grant(conn: psycopg.Connection, public_schema: str, target: sql.Composable, role: str) -> None:
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
        raise ReaderRoleMissing(
            f"the readers' role {role!r} (DAGMASTER_VECTOR_READER_ROLE) does not exist: "
            "create it, or unset the setting"
        )
    who = sql.Identifier(role)
    schema = sql.Identifier(public_schema)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, who))
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(target, who))
