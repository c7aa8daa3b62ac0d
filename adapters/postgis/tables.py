"""Vector tables in PostGIS: created per job, loaded chunk by chunk, finalised once.

Layout of ``<schema>.<table>``: ``ogc_fid bigint`` (the feature's index in the source, the
primary key once finalised, as ogr2ogr names it), ``geom geometry(<multi type>[Z], srid)``,
``_dm_chunk integer`` (which chunk wrote the row), then the source's fields in order.

The table belongs to one job: its comment is ``dagmaster job <job_id>``. ``create_table``
replaces a table that belongs to another job (a re-ingest) and keeps one that is already
this job's (a retried plan). ``replace_chunk`` deletes the chunk's rows and copies them in
again in one transaction, after checking under a lock that the table is still this job's,
so a retried or duplicated chunk leaves exactly one copy and a stale task of an earlier job
cannot write into a newer table.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql
from pydantic import BaseModel

FID = "ogc_fid"
GEOM = "geom"
CHUNK = "_dm_chunk"
_COPY_BLOCK = 4 * 2**20
RESERVED = (FID, GEOM, CHUNK)


class Column(BaseModel):
    name: str
    pg_type: str


class TableExtent(BaseModel):
    rows: int
    chunks: int
    bbox: tuple[float, float, float, float] | None


class TableNotOwned(RuntimeError):
    """The table now belongs to another job (or is gone): this job must not write into it."""


def owner_comment(job_id: str) -> str:
    return f"dagmaster job {job_id}"


def qualified(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def table_owner(conn: psycopg.Connection, schema: str, table: str) -> str | None:
    row = conn.execute(
        "SELECT obj_description(to_regclass(%s), 'pg_class')",
        (f'"{schema}"."{table}"',),
    ).fetchone()
    return None if row is None else row[0]


def create_table(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    *,
    columns: Sequence[Column],
    geometry_type: str,
    srid: int,
    has_z: bool,
    job_id: str,
) -> bool:
    """Create the job's empty table (see the module doc). True when it was (re)created."""
    name = qualified(schema, table)
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.{table}",))
        if table_owner(conn, schema, table) == owner_comment(job_id):
            return False
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        geom_type = sql.SQL(f"geometry({geometry_type}{'Z' if has_z else ''}, {int(srid)})")
        fields = [
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in columns
        ]
        conn.execute(
            sql.SQL("CREATE TABLE {} ({} bigint NOT NULL, {} {}, {} integer NOT NULL{})").format(
                name,
                sql.Identifier(FID),
                sql.Identifier(GEOM),
                geom_type,
                sql.Identifier(CHUNK),
                sql.SQL("").join(sql.SQL(", ") + f for f in fields),
            )
        )
        conn.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(name, sql.Literal(owner_comment(job_id)))
        )
    return True


def replace_chunk(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    *,
    job_id: str,
    chunk: int,
    column_names: Sequence[str],
    csv: bytes,
) -> int:
    """Delete chunk ``chunk``'s rows and COPY ``csv`` in, in one transaction; the row count.

    ``csv`` has no header; its columns are ``ogc_fid, geom (hex EWKB), _dm_chunk`` and then
    ``column_names``; an unquoted empty value is NULL (PostgreSQL's CSV rules).
    """
    name = qualified(schema, table)
    targets = sql.SQL(", ").join(sql.Identifier(n) for n in (FID, GEOM, CHUNK, *column_names))
    with conn.transaction():
        conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(name))
        owner = table_owner(conn, schema, table)
        if owner != owner_comment(job_id):
            raise TableNotOwned(
                f"table {schema}.{table} belongs to {owner or 'nobody'}, not job {job_id}"
            )
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = %s").format(name, sql.Identifier(CHUNK)), (chunk,)
        )
        with conn.cursor() as cursor:
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(name, targets)
            with cursor.copy(statement) as copy:
                view = memoryview(csv)
                for start in range(0, len(view), _COPY_BLOCK):
                    copy.write(view[start : start + _COPY_BLOCK])
            return cursor.rowcount


def finalize_table(conn: psycopg.Connection, schema: str, table: str) -> TableExtent:
    """Primary key, spatial index and statistics (each idempotent); then counts and extent."""
    name = qualified(schema, table)
    with conn.transaction():
        has_pk = conn.execute(
            "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            (f'"{schema}"."{table}"',),
        ).fetchone()
        if not has_pk:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(name, sql.Identifier(FID))
            )
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
                sql.Identifier(f"{table}_geom_idx"), name, sql.Identifier(GEOM)
            )
        )
    conn.execute(sql.SQL("ANALYZE {}").format(name))
    row = conn.execute(
        sql.SQL(
            "SELECT count(*), count(DISTINCT {chunk}), ST_Extent({geom})::geometry FROM {name}"
        ).format(chunk=sql.Identifier(CHUNK), geom=sql.Identifier(GEOM), name=name)
    ).fetchone()
    conn.commit()
    assert row is not None  # an aggregate always returns a row
    rows, chunks, extent = row
    return TableExtent(rows=rows, chunks=chunks, bbox=_bounds(conn, extent))


def _bounds(
    conn: psycopg.Connection, extent: str | None
) -> tuple[float, float, float, float] | None:
    if extent is None:
        return None
    row = conn.execute(
        "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT %s::geometry g) x",
        (extent,),
    ).fetchone()
    conn.commit()
    assert row is not None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
