"""The load into a real PostGIS: plan, chunks, finalize; idempotent chunks; one owner job."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.blob import BlobStore
from adapters.postgis.local import LocalPostgis
from dagmaster import vector_samples as samples
from handlers.base import LocalContext, NonRetryableError
from tests.handlers.helpers import run
from tests.handlers.vector_support import load_all, rows, upload


@pytest.fixture(scope="module")
def parcels_source(store: BlobStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("vec") / "parcels.gpkg"
    return upload(
        store, samples.write(samples.parcels(250), path, "GPKG"), "vector/load/parcels.gpkg"
    )


def test_every_feature_loads_once_valid_reprojected_and_multi(
    parcels_source, vector_schema: str, postgis: LocalPostgis
):
    _, plan, chunks, final = load_all(parcels_source, "parcels", chunk_size=60)
    assert [c["count"] for c in plan["chunks"]] == [60, 60, 60, 60, 10]
    assert final["feature_count"] == 250
    assert sum(c["repaired"] for c in chunks) == 1
    loaded = rows(
        postgis.url,
        vector_schema,
        "parcels",
        "ogc_fid, ST_SRID(geom), GeometryType(geom), ST_IsValid(geom), parcel_id, name",
    )
    assert [r[0] for r in loaded] == list(range(250))
    assert {(r[1], r[2], r[3]) for r in loaded} == {(4326, "MULTIPOLYGON", True)}
    features = samples.parcels(250)
    assert [(r[4], r[5]) for r in loaded] == [
        (int(features.fields["parcel_id"][i]), features.fields["name"][i]) for i in range(250)
    ]


def test_non_ascii_attributes_survive(parcels_source, vector_schema: str, postgis: LocalPostgis):
    load_all(parcels_source, "names", chunk_size=500)
    names = {r[0] for r in rows(postgis.url, vector_schema, "names", "name")}
    assert {"Škofja Loka", "Zürich", "Łódź"} <= names


def test_holes_are_kept(parcels_source, vector_schema: str, postgis: LocalPostgis):
    load_all(parcels_source, "holes", chunk_size=500)
    rings = rows(postgis.url, vector_schema, "holes", "ST_NRings(geom)")
    assert rings[10] == (2,) and rings[1] == (1,)


def test_a_retried_chunk_leaves_exactly_one_copy(
    parcels_source, vector_schema: str, postgis: LocalPostgis
):
    validation, plan, _, _ = load_all(parcels_source, "retried", chunk_size=100)
    again = {
        **parcels_source,
        "table": "retried",
        "geometry_type": validation["geometry_type"],
        "fields": validation["fields"],
        "source_srid": validation["source_srid"],
        "chunk": plan["chunks"][1],
    }
    run("vector_load_chunk", again, LocalContext(job_id="job-1"))
    run("vector_load_chunk", again, LocalContext(job_id="job-1"))
    assert len(rows(postgis.url, vector_schema, "retried", "ogc_fid")) == 250


def test_a_stale_task_of_an_earlier_job_cannot_write_into_a_newer_table(
    parcels_source, vector_schema: str
):
    validation, plan, _, _ = load_all(parcels_source, "owned", chunk_size=100, job_id="job-new")
    stale = {
        **parcels_source,
        "table": "owned",
        "geometry_type": validation["geometry_type"],
        "fields": validation["fields"],
        "source_srid": validation["source_srid"],
        "chunk": plan["chunks"][0],
    }
    with pytest.raises(NonRetryableError, match="belongs to dagmaster job job-new") as e:
        run("vector_load_chunk", stale, LocalContext(job_id="job-old"))
    assert e.value.kind == "table_not_owned"


def test_finalize_fails_when_rows_are_missing(parcels_source, vector_schema: str):
    validation = run("vector_validate", parcels_source)
    target = {
        "table": "partial",
        "geometry_type": validation["geometry_type"],
        "fields": validation["fields"],
    }
    ctx = LocalContext(job_id="job-1")
    plan = run("vector_plan_chunks", {**target, "feature_count": 250, "chunk_size": 100}, ctx)
    run(
        "vector_load_chunk",
        {**parcels_source, **target, "source_srid": 32633, "chunk": plan["chunks"][0]},
        ctx,
    )
    with pytest.raises(NonRetryableError, match="has 100 rows but the source has 250") as e:
        run(
            "vector_finalize",
            {
                "table": "partial",
                "feature_count": 250,
                "target_srid": 4326,
                "geometry_type": "MultiPolygon",
            },
            ctx,
        )
    assert e.value.kind == "row_count_mismatch"


def test_a_table_name_that_is_not_a_safe_identifier_is_refused(vector_schema: str):
    with pytest.raises(NonRetryableError, match="table") as e:
        run(
            "vector_plan_chunks",
            {
                "table": 'x"; DROP TABLE y; --',
                "geometry_type": "MultiPoint",
                "fields": [],
                "feature_count": 1,
            },
        )
    assert e.value.kind == "invalid_params"


def test_the_stac_item_describes_the_table_and_validates(
    parcels_source, vector_schema: str, store: BlobStore
):
    validation, _, _, final = load_all(parcels_source, "catalogued", chunk_size=500)
    result = run(
        "vector_stac_item",
        {
            "table": final,
            "fields": validation["fields"],
            "output_container": "outputs",
            "collection": "vectors",
        },
        LocalContext(job_id="job-1"),
    )
    item = result["item"]
    assert item["id"] == "catalogued"
    assert item["properties"]["table:row_count"] == 250
    assert item["properties"]["proj:epsg"] == 4326
    assert [c["name"] for c in item["properties"]["table:columns"]][:2] == ["ogc_fid", "geom"]
    assert item["assets"]["data"]["href"].endswith(f"?table={vector_schema}.catalogued")
    west, south, east, north = item["bbox"]
    assert 14.9 < west < east < 15.5 and 45.0 < south < north < 45.3
    assert store.exists(store.ref("outputs", result["item_blob"]["blob_path"]))


def test_a_zipped_shapefile_loads(store: BlobStore, tmp_path: Path, vector_schema: str, postgis):
    archive = samples.write_zipped_shapefile(samples.parcels(40), tmp_path, "zipped")
    _, _, _, final = load_all(upload(store, archive), "zipped", chunk_size=15)
    assert final["feature_count"] == 40
    assert len(rows(postgis.url, vector_schema, "zipped", "ogc_fid")) == 40


def _wgs84(geometries):
    import numpy as np
    import pyproj
    import shapely

    t = pyproj.Transformer.from_crs(32633, 4326, always_xy=True)
    return shapely.transform(geometries, lambda c: np.column_stack(t.transform(*c.T)))


def _geojson(features, path: Path) -> Path:
    features.geometries, features.crs = _wgs84(features.geometries), "EPSG:4326"
    return samples.write(features, path, "GeoJSON")


@pytest.mark.parametrize(
    ("name", "writer", "extra"),
    [
        ("parcels.csv", samples.write_csv_wkt, {"source_srid": 32633}),
        ("parcels.geojson", _geojson, {}),
        ("parcels.parquet", samples.write_geoparquet, {}),
    ],
)
def test_csv_geojson_and_geoparquet_load_in_chunks_with_their_geometries(
    store: BlobStore, tmp_path: Path, vector_schema: str, postgis, name, writer, extra
):
    import shapely

    features = samples.parcels(300)
    source = upload(store, writer(features, tmp_path / name), f"vector/load/{name}")
    table = name.replace(".", "_")
    _, plan, _, final = load_all(source, table, chunk_size=120, **extra)
    assert (len(plan["chunks"]), final["feature_count"]) == (3, 300)
    loaded = rows(postgis.url, vector_schema, table, "ogc_fid, parcel_id, ST_AsBinary(geom)")
    assert [(r[0], r[1]) for r in loaded] == [
        (i, int(features.fields["parcel_id"][i])) for i in range(300)
    ]
    # Feature 210 (in the last chunk) has a hole; it comes back as itself, in WGS84.
    expected = shapely.multipolygons([_wgs84(samples.parcels(300).geometries)[210]])
    back = shapely.from_wkb(bytes(loaded[210][2]))
    assert shapely.get_num_interior_rings(shapely.get_geometry(back, 0)) == 1
    assert shapely.equals_exact(back, expected, tolerance=1e-9)


def test_a_version_table_name_of_the_full_63_bytes_loads_and_finalizes(
    store: BlobStore, tmp_path: Path, vector_schema: str, postgis
):
    from domain.assets import MAX_IDENTIFIER, asset_id_for, asset_table

    table = asset_table(asset_id_for("p" * 40, ["id"], {"id": "x"}), 99_999_999)
    assert len(table) == MAX_IDENTIFIER
    path = samples.write(samples.points(25), tmp_path / "long.gpkg", "GPKG")
    _, _, _, final = load_all(upload(store, path), table, chunk_size=10)
    assert (final["table"], final["feature_count"]) == (table, 25)
    assert len(rows(postgis.url, vector_schema, table, "ogc_fid")) == 25
