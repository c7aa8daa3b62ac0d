"""The post-provision grants, on a real PostgreSQL 16 laid out as Azure's is.

Azure's Entra administrator is a CREATEROLE member of azure_pg_admin, not a superuser, and
owns the databases it creates; `pgaadauth_create_principal_with_oid` makes a login role. Here
the same: an administrator role with CREATEROLE that owns the database and creates the two
identities' roles as plain login roles. Then the app migrates the catalog as itself, and the
worker records node progress as itself, through the app's own code; the same for a vector
table (the app creates it in the vector schema, the worker replaces a chunk's rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.catalog.migrate import upgrade
from adapters.catalog.repository import JobCatalog
from infra.scripts.postgres_roles import grant_statements
from tests.catalog.builders import a_job
from tests.support.postgres import EmbeddedPostgres, pool_for


@dataclass(frozen=True)
class AzureLike:
    database: str
    admin: str
    app: str
    worker: str
    base_url: str

    def url(self, user: str) -> str:
        return make_conninfo(self.base_url, user=user, dbname=self.database)


@pytest.fixture
def azure_like(embedded_pg: EmbeddedPostgres) -> Iterator[AzureLike]:
    tag = uuid.uuid4().hex[:8]
    names = AzureLike(
        f"roles_{tag}", f"admin_{tag}", f"id-func-{tag}", f"id-worker-{tag}", embedded_pg.admin_url
    )
    admin, db = sql.Identifier(names.admin), sql.Identifier(names.database)
    with psycopg.connect(embedded_pg.admin_url, autocommit=True) as su:
        su.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(admin))
        su.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, admin))
    with psycopg.connect(
        make_conninfo(embedded_pg.admin_url, user=names.admin), autocommit=True
    ) as c:
        for role in (names.app, names.worker):  # what pgaadauth_create_principal_with_oid does
            c.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        yield names
    finally:
        with psycopg.connect(embedded_pg.admin_url, autocommit=True) as su:
            su.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(db))
            for role in (names.app, names.worker, names.admin):
                su.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _grant(names: AzureLike) -> None:
    with psycopg.connect(names.url(names.admin), autocommit=True) as conn:
        for statement in grant_statements(names.database, names.app, names.worker, "geo"):
            conn.execute(statement)


def test_app_migrates_the_catalog_and_worker_records_progress_after_the_grants(
    azure_like: AzureLike,
):
    _grant(azure_like)
    with pool_for(azure_like.url(azure_like.app)) as pool:
        upgrade(pool)  # as the app does on its first catalog use
        job = JobCatalog(pool).create_job(a_job())
    with pool_for(azure_like.url(azure_like.worker)) as pool:
        JobCatalog(pool).update_node_progress(job.job_id, "cog", 1, 40.0, "warping")
        nodes = JobCatalog(pool).list_nodes(job.job_id)
    assert [(n.node_id, n.progress_percent) for n in nodes] == [("cog", 40.0)]


def test_grants_can_run_again_after_the_app_created_its_tables(azure_like: AzureLike):
    _grant(azure_like)
    with pool_for(azure_like.url(azure_like.app)) as pool:
        upgrade(pool)
    _grant(azure_like)  # a later provision runs the hook again
    with psycopg.connect(azure_like.url(azure_like.worker)) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)


def test_worker_cannot_change_the_schema(azure_like: AzureLike):
    _grant(azure_like)
    with pool_for(azure_like.url(azure_like.app)) as pool:
        upgrade(pool)
    with (
        psycopg.connect(azure_like.url(azure_like.worker)) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DROP TABLE job_nodes")


def test_without_the_grants_the_app_cannot_migrate(azure_like: AzureLike):
    with (
        pool_for(azure_like.url(azure_like.app)) as pool,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        upgrade(pool)


def test_worker_replaces_the_rows_of_a_vector_table_the_app_created(azure_like: AzureLike):
    _grant(azure_like)
    with psycopg.connect(azure_like.url(azure_like.app), autocommit=True) as app:
        # What adapters.postgis.tables.create_table does (without PostGIS, absent here).
        app.execute("CREATE SCHEMA IF NOT EXISTS geo")
        app.execute("CREATE TABLE geo.job_1 (fid bigint NOT NULL, chunk integer NOT NULL)")
    with psycopg.connect(azure_like.url(azure_like.worker)) as worker:
        worker.execute("DELETE FROM geo.job_1 WHERE chunk = 0")
        with worker.cursor().copy(
            "COPY geo.job_1 (fid, chunk) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            copy.write(b"1,0\n2,0\n")
        assert worker.execute("SELECT count(*) FROM geo.job_1").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            worker.execute("CREATE TABLE geo.mine (x int)")
