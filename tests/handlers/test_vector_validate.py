"""vector_validate on real files in Azurite: what it reports, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from adapters.blob import BlobStore
from dagmaster import vector_samples as samples
from handlers.base import NonRetryableError
from tests.handlers.helpers import run
from tests.handlers.vector_support import upload


@pytest.fixture(scope="module")
def parcels_gpkg(store: BlobStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("vec") / "parcels.gpkg"
    return upload(store, samples.write(samples.parcels(50), path, "GPKG"))


def test_a_geopackage_is_described_with_its_projected_crs_fields_and_geometry_types(
    parcels_gpkg: dict[str, str],
):
    found = run("vector_validate", parcels_gpkg)
    assert found["layer"] == "parcels"
    assert found["feature_count"] == 50
    assert found["source_srid"] == 32633
    assert found["geometry_type"] == "MultiPolygon"
    assert set(found["geometry_types"]) == {"Polygon", "MultiPolygon"}
    assert [f["name"] for f in found["fields"]] == ["parcel_id", "name", "area_ha"]
    assert [f["pg_type"] for f in found["fields"]] == ["bigint", "text", "double precision"]
    west, south, east, north = found["bbox_wgs84"]
    assert 14.9 < west < east < 15.5 and 45.0 < south < north < 45.3


def test_an_invalid_ring_is_counted_and_warned_about(parcels_gpkg: dict[str, str]):
    found = run("vector_validate", parcels_gpkg)
    assert found["invalid_geometries"] == 1
    assert any("make_valid" in w for w in found["warnings"])


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("parcels.geojson", lambda f, p: samples.write(f, p, "GeoJSON")),
        ("parcels.fgb", lambda f, p: samples.write(f, p, "FlatGeobuf")),
        ("parcels.parquet", samples.write_geoparquet),
        ("parcels.zip", lambda f, p: samples.write_zipped_shapefile(f, p.parent, "parcels")),
    ],
)
def test_every_supported_format_reads_the_same_features(
    store: BlobStore, tmp_path: Path, name: str, writer
):
    features = samples.parcels(30)
    if name.endswith(".geojson"):  # GeoJSON is WGS84 by definition
        features.geometries = _to_wgs84(features.geometries)
        features.crs = "EPSG:4326"
    source = upload(store, writer(features, tmp_path / name), f"vector/formats/{name}")
    found = run("vector_validate", source)
    assert found["feature_count"] == 30
    assert found["geometry_type"] == "MultiPolygon"
    assert {f["name"] for f in found["fields"]} >= {"parcel_id", "name"}


def test_a_csv_with_wkt_needs_and_takes_a_source_srid(store: BlobStore, tmp_path: Path):
    source = upload(store, samples.write_csv_wkt(samples.points(20), tmp_path / "pts.csv"))
    with pytest.raises(NonRetryableError, match="declares no coordinate reference system") as e:
        run("vector_validate", source)
    assert e.value.kind == "missing_crs"
    found = run("vector_validate", {**source, "source_srid": 4326})
    assert (found["feature_count"], found["geometry_type"]) == (20, "MultiPoint")


def test_a_csv_with_x_and_y_columns_reads_points(store: BlobStore, tmp_path: Path):
    path = tmp_path / "xy.csv"
    path.write_text("id,x,y,label\n1,14.5,46.0,Ljubljana\n2,15.6,46.5,Maribor\n", encoding="utf-8")
    found = run("vector_validate", {**upload(store, path), "source_srid": 4326})
    assert found["feature_count"] == 2
    assert found["geometry_type"] == "MultiPoint"


def test_a_file_gdal_cannot_read_is_refused_for_good(store: BlobStore, tmp_path: Path):
    path = tmp_path / "noise.gpkg"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(NonRetryableError, match="cannot be read as vector data") as e:
        run("vector_validate", upload(store, path))
    assert e.value.kind == "unreadable_vector"


def test_a_layer_without_geometry_is_refused(store: BlobStore, tmp_path: Path):
    path = tmp_path / "table.csv"
    path.write_text("id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(NonRetryableError, match="no layer with geometry") as e:
        run("vector_validate", upload(store, path))
    assert e.value.kind == "no_geometry"


def test_an_unknown_layer_is_refused_naming_the_layers(parcels_gpkg: dict[str, str]):
    with pytest.raises(NonRetryableError, match=r"no layer 'roads' \(layers: parcels\)"):
        run("vector_validate", {**parcels_gpkg, "layer": "roads"})


def test_points_mixed_with_polygons_are_refused(store: BlobStore, tmp_path: Path):
    mixed = samples.parcels(4)
    mixed.geometries[0] = shapely.Point(500_000, 5_000_000)
    path = samples.write(mixed, tmp_path / "mixed.gpkg", "GPKG")
    with pytest.raises(NonRetryableError, match="mixes geometry types") as e:
        run("vector_validate", upload(store, path))
    assert e.value.kind == "mixed_geometry_types"


def test_2d_mixed_with_3d_is_refused(store: BlobStore, tmp_path: Path):
    mixed = samples.points(4)
    mixed.geometries[0] = shapely.Point(14.0, 46.0, 300.0)
    path = samples.write(mixed, tmp_path / "dims.geojson", "GeoJSON")
    with pytest.raises(NonRetryableError, match="mixes 2D and 3D") as e:
        run("vector_validate", upload(store, path))
    assert e.value.kind == "mixed_dimensions"


def test_an_engineering_crs_is_refused_in_plain_words(store: BlobStore, tmp_path: Path):
    local = (
        'ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],'
        'AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]'
    )
    features = samples.points(3)
    path = tmp_path / "site.gpkg"
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(features.geometries),
        list(features.fields.values()),
        list(features.fields),
        driver="GPKG",
        crs=local,
        geometry_type="Point",
    )
    with pytest.raises(NonRetryableError) as e:
        run("vector_validate", {**upload(store, path), "source_srid": None})
    assert e.value.kind == "unusable_crs"
    assert "site grid" in str(e.value)


def _to_wgs84(geometries: np.ndarray) -> np.ndarray:
    import pyproj

    t = pyproj.Transformer.from_crs(32633, 4326, always_xy=True)
    return shapely.transform(geometries, lambda c: np.column_stack(t.transform(*c.T)))


@pytest.fixture(scope="module")
def non_finite_points(store: BlobStore, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """20 points; feature 5 has an infinite x and feature 9 a NaN y."""
    points = samples.points(20)
    geometries = points.geometries.copy()
    geometries[5] = shapely.Point(np.inf, 45.0)
    geometries[9] = shapely.Point(14.0, np.nan)
    features = samples.Features(geometries, points.fields, points.crs, points.geometry_type)
    path = tmp_path_factory.mktemp("vec") / "non_finite.gpkg"
    return upload(store, samples.write(features, path, "GPKG"))


def test_a_point_with_an_infinite_or_nan_coordinate_is_refused_naming_the_features(
    non_finite_points: dict,
):
    with pytest.raises(NonRetryableError, match=r"features 5, 9 have an infinite or NaN") as e:
        run("vector_validate", non_finite_points)
    assert e.value.kind == "invalid_coordinates"


def test_a_chunk_with_an_infinite_coordinate_is_refused_before_geos_sees_it(
    non_finite_points: dict,
):
    fields = [{"name": "point_id", "column": "point_id", "dtype": "int64", "pg_type": "bigint"}]
    params = {
        **non_finite_points,
        "table": "never_loaded",
        "geometry_type": "MultiPoint",
        "fields": fields,
        "chunk": {"index": 1, "offset": 4, "count": 4},
    }
    with pytest.raises(NonRetryableError, match=r"layer 'non_finite': feature 5 has an") as e:
        run("vector_load_chunk", params)
    assert e.value.kind == "invalid_coordinates"
