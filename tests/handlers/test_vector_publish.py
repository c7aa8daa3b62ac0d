"""Publishing a vector version on the real local PostGIS: one stable view per asset in the
public schema, over the published version's table; unpublishing drops the view only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

import wiring
from adapters.blob import BlobStore
from adapters.catalog import StacCatalog, close_pool
from adapters.postgis.local import LocalPostgis
from dagmaster import vector_samples as samples
from domain.assets import asset_table, asset_view
from handlers.base import LocalContext, NonRetryableError
from handlers.raster.stac_index import ENV_STAC_INDEX
from handlers.vector.stac import href_table
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import run
from tests.handlers.vector_support import load_all, upload

ASSET = "ddh-00112233445566778899aabbccddeeff"
PUBLIC_COLLECTION = "public-vectors"
ROWS = {1: 30, 2: 45}  # version 2 has more parcels than version 1


@pytest.fixture(scope="module")
def sources(store: BlobStore, tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict]:
    folder = tmp_path_factory.mktemp("pubvec")
    return {
        n: upload(
            store,
            samples.write(samples.parcels(rows), folder / f"v{n}.gpkg", "GPKG"),
            f"vector/publish/v{n}.gpkg",
        )
        for n, rows in ROWS.items()
    }


@pytest.fixture
def public_schema(
    vector_schema: str, postgis: LocalPostgis, catalog_db, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh public schema, and the catalog's STAC index for the items."""
    schema = f"pub_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DAGMASTER_VECTOR_PUBLIC_SCHEMA", schema)
    monkeypatch.setenv("DATABASE_URL", catalog_db.url)
    monkeypatch.setenv(ENV_STAC_INDEX, "catalog")
    monkeypatch.setenv("DAGMASTER_PUBLIC_STAC_COLLECTION", PUBLIC_COLLECTION)
    close_pool()
    wiring.reset()
    yield schema
    with psycopg.connect(postgis.url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    close_pool()
    wiring.reset()


@pytest.fixture
def versions(sources, public_schema: str) -> dict[int, dict[str, Any]]:
    """Both versions loaded into their own tables, each with its STAC item indexed."""
    out = {}
    for n in ROWS:
        table = asset_table(ASSET, n)
        validation, _, _, final = load_all(sources[n], table, chunk_size=20, job_id=f"job-{n}")
        params = {"table": final, "fields": validation["fields"], "output_container": OUTPUTS}
        item_id = f"{ASSET}-v{n}"
        run("vector_stac_item", {**params, "collection": "ddh", "item_id": item_id})
        out[n] = {"asset_id": ASSET, "version_ordinal": n, "stac_collection": "ddh"}
        out[n]["stac_item_id"] = item_id
    return out


def publish(versions: dict[int, dict[str, Any]], n: int) -> dict[str, Any]:
    return run("publish_asset", versions[n], LocalContext(job_id=f"pub-{n}", node_id="publish"))


def view_rows(url: str, schema: str) -> int:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(asset_view(ASSET))
        )
        return conn.execute(query).fetchone()[0]


def view_exists(url: str, schema: str) -> bool:
    with psycopg.connect(url) as conn:
        query = "SELECT 1 FROM pg_views WHERE schemaname = %s AND viewname = %s"
        return conn.execute(query, (schema, asset_view(ASSET))).fetchone() is not None


def test_publishing_a_version_makes_the_asset_view_over_its_table_and_the_item_names_it(
    versions, public_schema: str, postgis: LocalPostgis, catalog_db
):
    result = publish(versions, 1)
    assert result["view"] == f"{public_schema}.{asset_view(ASSET)}"
    assert result["copied"] == []
    assert view_rows(postgis.url, public_schema) == ROWS[1]
    public = StacCatalog(catalog_db.pool).get_item(PUBLIC_COLLECTION, ASSET)
    assert href_table(public.item["assets"]["data"]["href"]) == (public_schema, asset_view(ASSET))
    assert public.item["properties"]["table:row_count"] == ROWS[1]


def test_the_view_shows_the_source_columns_but_not_the_loader_s_chunk_column(
    versions, public_schema: str, postgis: LocalPostgis
):
    publish(versions, 1)
    with psycopg.connect(postgis.url) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (public_schema, asset_view(ASSET)),
        ).fetchall()
    assert [c[0] for c in columns][:2] == ["ogc_fid", "geom"]
    assert "_dm_chunk" not in {c[0] for c in columns}


def test_publishing_a_newer_version_moves_the_view_and_leaves_both_tables(
    versions, vector_schema: str, public_schema: str, postgis: LocalPostgis
):
    publish(versions, 1)
    publish(versions, 2)
    assert view_rows(postgis.url, public_schema) == ROWS[2]
    with psycopg.connect(postgis.url) as conn:
        for n, rows in ROWS.items():
            name = sql.Identifier(vector_schema, asset_table(ASSET, n))
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(name)).fetchone()
            assert count == (rows,)


def test_publishing_twice_is_the_same_view(versions, public_schema: str, postgis: LocalPostgis):
    first = publish(versions, 1)
    again = publish(versions, 1)
    assert again["view"] == first["view"]
    assert view_rows(postgis.url, public_schema) == ROWS[1]


def test_unpublishing_drops_the_view_only_and_runs_again_safely(
    versions, vector_schema: str, public_schema: str, postgis: LocalPostgis
):
    publish(versions, 1)
    assert run("unpublish_asset", {"asset_id": ASSET})["view_dropped"] is True
    assert not view_exists(postgis.url, public_schema)
    with psycopg.connect(postgis.url) as conn:
        table = sql.Identifier(vector_schema, asset_table(ASSET, 1))
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == (30,)
    again = run("unpublish_asset", {"asset_id": ASSET})
    assert (again["view_dropped"], again["was_public"]) == (False, False)


def test_the_reader_role_can_select_the_view_but_not_the_table_or_write(
    versions, vector_schema: str, public_schema: str, postgis: LocalPostgis, monkeypatch
):
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgis.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    monkeypatch.setenv("DAGMASTER_VECTOR_READER_ROLE", role)
    wiring.postgis_settings.cache_clear()
    publish(versions, 1)
    view = sql.Identifier(public_schema, asset_view(ASSET))
    table = sql.Identifier(vector_schema, asset_table(ASSET, 1))
    try:
        with psycopg.connect(postgis.url.replace("postgres@", f"{role}@"), autocommit=True) as c:
            assert c.execute(sql.SQL("SELECT count(*) FROM {}").format(view)).fetchone() == (30,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(sql.SQL("DELETE FROM {}").format(view))
    finally:
        with psycopg.connect(postgis.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_reader_role_that_does_not_exist_is_refused_naming_the_setting(versions, monkeypatch):
    monkeypatch.setenv("DAGMASTER_VECTOR_READER_ROLE", "nobody_here")
    wiring.postgis_settings.cache_clear()
    with pytest.raises(NonRetryableError, match="DAGMASTER_VECTOR_READER_ROLE") as e:
        publish(versions, 1)
    assert e.value.kind == "reader_role_missing"


def test_a_version_with_other_columns_replaces_the_view_in_one_transaction(
    vector_schema: str, postgis: LocalPostgis
):
    from adapters.postgis.views import publish_view

    schema = f"pub_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgis.url) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(vector_schema)))
        for table, column in (("t_v1", "a text"), ("t_v2", "b integer")):
            name = sql.Identifier(vector_schema, table)
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (ogc_fid bigint, geom geometry, _dm_chunk int, {})"
                ).format(name, sql.SQL(column))
            )
        conn.commit()
        target = {"schema": vector_schema, "reader_role": None}
        assert publish_view(conn, schema, "t", table="t_v1", **target) == ["ogc_fid", "geom", "a"]
        assert publish_view(conn, schema, "t", table="t_v2", **target) == ["ogc_fid", "geom", "b"]
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.commit()


def test_a_published_version_s_table_cannot_be_replaced_by_another_job(versions):
    publish(versions, 1)
    target = {"table": asset_table(ASSET, 1), "geometry_type": "MultiPolygon", "fields": []}
    with pytest.raises(NonRetryableError, match="the table is published") as e:
        run("vector_plan_chunks", {**target, "feature_count": 1}, LocalContext(job_id="job-x"))
    assert e.value.kind == "table_published"
