"""`vector_ingest` end to end on devhost with two real container workers, Azurite and a real
PostGIS: every feature lands exactly once, valid, in the target SRID, with its attributes,
also when a worker is SIGKILLed while loading a chunk."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import shapely
from azure.storage.blob import BlobServiceClient
from psycopg import sql
from stac_validator.validate import StacValidate

from dagmaster import vector_samples as samples
from devhost.testing import run_devhost
from domain.assets import asset_table
from handlers.raster.stac import local_schema_map
from tests.engine.support import REPO, Engine, app_env
from tests.engine.workers import run_workers
from tests.support.polling import wait_until
from tests.support.postgres import fresh_catalog

SCHEMA = "geo_e2e"
PUBLIC_SCHEMA = "pub_e2e"
FAST_REDELIVERY = {"DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS": "3"}


@pytest.fixture(scope="module")
def engine(azurite, embedded_pg, postgis, tmp_path_factory) -> Iterator[Engine]:
    """The product app on devhost, pointed at the session's PostGIS as well as its catalog."""
    data_dir = tmp_path_factory.mktemp("engine")
    with fresh_catalog(embedded_pg) as db:
        env = {
            **app_env(azurite, db.url, data_dir),
            "DAGMASTER_POSTGIS_URL": postgis.url,
            "DAGMASTER_VECTOR_SCHEMA": SCHEMA,
            "DAGMASTER_VECTOR_PUBLIC_SCHEMA": PUBLIC_SCHEMA,
            "DAGMASTER_STAC_INDEX": "catalog",
        }
        with run_devhost(REPO, data_dir / "devhost", env=env) as host:
            yield Engine(host, env)


@pytest.fixture(scope="module")
def workers(engine, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("workers")
    with run_workers(engine, log_dir, count=2, env=FAST_REDELIVERY) as procs:
        yield procs, log_dir


def upload(engine: Engine, local: Path, blob_path: str) -> dict[str, str]:
    service = BlobServiceClient.from_connection_string(
        engine.env["DAGMASTER_STORAGE_CONNECTION_STRING"]
    )
    if not service.get_container_client("vectors-in").exists():
        service.create_container("vectors-in")
    service.get_blob_client("vectors-in", blob_path).upload_blob(local.read_bytes(), overwrite=True)
    return {"container": "vectors-in", "blob_path": blob_path}


def table_rows(postgis, table: str, columns: str) -> list[tuple]:
    with psycopg.connect(postgis.url) as conn:
        query = sql.SQL("SELECT " + columns + " FROM {}.{} ORDER BY ogc_fid").format(
            sql.Identifier(SCHEMA), sql.Identifier(table)
        )
        return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def parcels_job(engine, workers, tmp_path_factory) -> tuple[str, dict]:
    path = samples.write(
        samples.parcels(2_000), tmp_path_factory.mktemp("v") / "parcels.gpkg", "GPKG"
    )
    source = upload(engine, path, "e2e/parcels.gpkg")
    job_id = engine.submit("vector_ingest", {**source, "table": "parcels", "chunk_size": 400})
    return job_id, engine.wait(job_id, timeout=240)


def test_parcels_in_a_projected_crs_load_once_each_valid_and_in_wgs84(parcels_job, postgis):
    _, job = parcels_job
    assert job["status"] == "completed", job
    result = job["output"]["result"]
    assert (result["table"], result["feature_count"], result["srid"]) == (
        f"{SCHEMA}.parcels",
        2_000,
        4326,
    )
    assert result["repaired_geometries"] == 1
    loaded = table_rows(
        postgis, "parcels", "ogc_fid, parcel_id, name, ST_IsValid(geom), ST_SRID(geom)"
    )
    source = samples.parcels(2_000)
    assert [(r[1], r[2]) for r in loaded] == [
        (int(source.fields["parcel_id"][i]), source.fields["name"][i]) for i in range(2_000)
    ]
    assert {(r[3], r[4]) for r in loaded} == {(True, 4326)}


def test_the_loaded_geometries_match_the_source_reprojected(parcels_job, postgis):
    _, job = parcels_job
    assert job["status"] == "completed", job
    import numpy as np
    import pyproj

    source = samples.parcels(2_000)
    t = pyproj.Transformer.from_crs(32633, 4326, always_xy=True)
    expected = shapely.transform(
        shapely.make_valid(source.geometries), lambda c: np.column_stack(t.transform(*c.T))
    )
    wkb = [bytes(r[0]) for r in table_rows(postgis, "parcels", "ST_AsBinary(geom)")]
    loaded = shapely.from_wkb(wkb)
    assert np.allclose(shapely.area(loaded), shapely.area(expected), rtol=1e-9)


def test_the_chunks_ran_on_the_heavy_queue_on_both_workers_and_the_stac_item_validates(
    engine, parcels_job, workers
):
    job_id, job = parcels_job
    assert job["status"] == "completed", job
    _, log_dir = workers
    logs = [log.read_text() for log in sorted(log_dir.glob("worker-*.log"))]
    assert all(f"task {job_id}/load" in text for text in logs)
    item = job["output"]["result"]["stac_item"]["item"]
    validator = StacValidate(schema_map=local_schema_map())
    assert validator.validate_dict(item), validator.message
    assert item["properties"]["table:row_count"] == 2_000


def test_a_source_with_an_unknown_layer_fails_at_validate_without_touching_postgis(
    engine, workers, tmp_path, postgis
):
    path = samples.write(samples.points(10), tmp_path / "few.gpkg", "GPKG")
    source = upload(engine, path, "e2e/few.gpkg")
    job_id = engine.submit("vector_ingest", {**source, "table": "never", "layer": "nope"})
    job = engine.wait(job_id, timeout=60)
    assert job["status"] == "failed"
    assert "no layer 'nope'" in str(job["error"])
    with psycopg.connect(postgis.url) as conn:
        assert conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.never",)).fetchone() == (None,)


def ddh_status(engine: Engine, request_id: str) -> dict:
    def processed() -> dict | None:
        current = engine.call("GET", f"/api/platform/status/{request_id}").json()
        return current if current.get("processing") in ("completed", "failed") else None

    return wait_until(processed, 180, f"DDH request {request_id} to be processed", interval=0.2)


def review(engine: Engine, asset_id: str, path: str) -> None:
    body = {"reason": "e2e", "by": "ana@example.org"}
    answer = engine.call("POST", f"/api/assets/{asset_id}/{path}", json=body)
    assert answer.status_code == 200, answer.text


def view_rows(postgis, asset_id: str) -> int | None:
    """Rows of the asset's public view, or None while there is none."""
    from domain.assets import asset_view

    with psycopg.connect(postgis.url) as conn:
        name = f"{PUBLIC_SCHEMA}.{asset_view(asset_id)}"
        if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() == (None,):
            return None
        return conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*name.split(".")))
        ).fetchone()[0]


def public_item(engine: Engine, asset_id: str, title_end: str) -> dict | None:
    answer = engine.call("GET", f"/api/stac/collections/public/items/{asset_id}")
    item = answer.json()["item"] if answer.status_code == 200 else None
    data = (item or {}).get("assets", {}).get("data", {})
    return item if data.get("title", "").endswith(title_end) else None


def submit_version(engine: Engine, folder: Path, n: int, rows: int, seed: int) -> dict:
    """Submit DDH version ``n`` of the roads asset (``rows`` parcels) and wait until the
    asset has it processed; its status and job."""
    path = samples.write(samples.parcels(rows, seed=seed), folder / f"v{n}.gpkg", "GPKG")
    body = {
        "platform_id": "ddh",
        "request_id": f"ddh-roads-v{n}",
        "identifiers": {"dataset_id": "roads", "resource_id": "r1", "version_id": f"v{n}"},
        "data_type": "vector",
        "source": upload(engine, path, f"e2e/ddh-parcels-v{n}.gpkg"),
    }
    accepted = engine.call("POST", "/api/platform/submit", json=body)
    assert accepted.status_code == 202, accepted.text
    status = ddh_status(engine, body["request_id"])
    return {**status, "job": engine.wait(accepted.json()["job_id"], timeout=60)}


@pytest.fixture(scope="module")
def ddh_versions(engine, workers, postgis, tmp_path_factory) -> dict:
    """A DDH vector asset: v1 (120 parcels) approved and public, then v2 (80 other parcels)
    submitted and processed, then approved (so published), then the asset cleared."""
    folder = tmp_path_factory.mktemp("ddh")
    seen: dict = {"v1": submit_version(engine, folder, 1, rows=120, seed=7)}
    asset_id = seen["v1"]["asset_id"]
    v1_table, columns = asset_table(asset_id, 1), "ogc_fid, parcel_id, ST_AsBinary(geom)"
    seen["v1_rows"] = table_rows(postgis, v1_table, columns)
    for step in ("versions/1/approve", "clearance/cleared", "clearance/public"):
        review(engine, asset_id, step)
    wait_until(lambda: view_rows(postgis, asset_id) == 120, 120, "v1's public view")
    seen["v2"] = submit_version(engine, folder, 2, rows=80, seed=11)
    seen["v1_rows_after_v2"] = table_rows(postgis, v1_table, columns)
    seen["view_before_v2_approved"] = view_rows(postgis, asset_id)
    review(engine, asset_id, "versions/2/approve")
    wait_until(lambda: view_rows(postgis, asset_id) == 80, 120, "the view to move to v2")
    seen["public_item"] = wait_until(
        lambda: public_item(engine, asset_id, "(version 2)"), 60, "the public item of v2"
    )
    review(engine, asset_id, "clearance/cleared")
    wait_until(lambda: view_rows(postgis, asset_id) is None, 120, "the view to be dropped")
    return {**seen, "asset_id": asset_id}


def test_each_ddh_vector_version_loads_into_its_own_table(ddh_versions, postgis):
    asset_id = ddh_versions["asset_id"]
    for n, rows in ((1, 120), (2, 80)):
        version = ddh_versions[f"v{n}"]
        assert (version["processing"], version["version_ordinal"]) == ("completed", n), version
        table = asset_table(asset_id, n)
        assert version["job"]["output"]["result"]["table"] == f"{SCHEMA}.{table}"
        assert len(table_rows(postgis, table, "ogc_fid")) == rows


def test_a_new_version_processed_before_review_leaves_the_approved_version_s_table_unchanged(
    ddh_versions,
):
    assert len(ddh_versions["v1_rows"]) == 120
    assert ddh_versions["v1_rows_after_v2"] == ddh_versions["v1_rows"]
    assert ddh_versions["view_before_v2_approved"] == 120  # still v1 while v2 awaits review


def test_publishing_moves_the_asset_s_view_to_the_approved_version_and_clearing_drops_it(
    ddh_versions, postgis
):
    # The fixture waited for each step: v1's rows, then v2's, then no view; the tables stay.
    from domain.assets import asset_view
    from handlers.vector.stac import href_table

    asset_id = ddh_versions["asset_id"]
    data = ddh_versions["public_item"]["assets"]["data"]
    assert href_table(data["href"]) == (PUBLIC_SCHEMA, asset_view(asset_id))
    assert view_rows(postgis, asset_id) is None
    assert len(table_rows(postgis, asset_table(asset_id, 2), "ogc_fid")) == 80


@pytest.mark.slow
def test_100k_points_load_exactly_once_when_a_worker_is_killed_mid_chunk(
    engine, workers, tmp_path, postgis
):
    procs, log_dir = workers
    n = 100_000
    path = samples.write(samples.points(n), tmp_path / "points.gpkg", "GPKG")
    source = upload(engine, path, "e2e/points.gpkg")
    job_id = engine.submit("vector_ingest", {**source, "table": "points", "chunk_size": 10_000})

    def chunk_started() -> bool:
        return any(f"task {job_id}/load" in log.read_text() for log in log_dir.glob("worker-*.log"))

    wait_until(chunk_started, 120, "a worker to start a chunk")
    victim = next(
        p
        for p, log in zip(procs, sorted(log_dir.glob("worker-*.log")), strict=True)
        if f"task {job_id}/load" in log.read_text()
    )
    time.sleep(0.3)
    os.kill(victim.pid, signal.SIGKILL)
    job = engine.wait(job_id, timeout=300)
    assert job["status"] == "completed", job
    loaded = table_rows(postgis, "points", "ogc_fid, point_id, label")
    assert len(loaded) == n
    assert [r[0] for r in loaded] == list(range(n))
    assert all(r[1] == r[0] and r[2] == f"p{r[0]}" for r in loaded)


def test_the_vector_items_collection_is_registered_and_readable(engine, ddh_versions):
    item = ddh_versions["v2"]["job"]["output"]["result"]["stac_item"]["item"]
    answer = engine.call("GET", f"/api/stac/collections/{item['collection']}")
    assert answer.status_code == 200, answer.text
    record = answer.json()
    link = next(x["href"] for x in item["links"] if x["rel"] == "collection")
    assert record["href"] == link
    west, south, east, north = record["document"]["extent"]["spatial"]["bbox"][0]
    assert west <= item["bbox"][0] and east >= item["bbox"][2]
    assert south <= item["bbox"][1] and north >= item["bbox"][3]
