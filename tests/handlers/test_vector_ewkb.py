"""The fast path for plain points gives exactly the rows of the shapely path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyogrio
import pyproj
import shapely

from adapters.blob import BlobStore
from adapters.postgis.local import LocalPostgis
from handlers.vector.ewkb import encode
from handlers.vector.geometry import ewkb_hex, prepare
from handlers.vector.load import _arrow, _csv_column
from tests.handlers.vector_support import load_all, rows, upload

UTM33 = pyproj.Transformer.from_crs(32633, 4326, always_xy=True)


def _wkb(geometries: list[shapely.Geometry | None]) -> pa.Array:
    return pa.array(list(shapely.to_wkb(np.array(geometries, dtype=object))), type=pa.binary())


def _both(wkb: pa.Array, target: str = "MultiPoint", transformer=None):
    fast = encode(wkb, target, 4326, transformer)
    slow = encode(wkb, target, 4326, transformer, fast=False)
    return fast, slow


def _same(fast, slow) -> None:
    assert fast.hexes.to_pylist() == slow.hexes.to_pylist()
    assert (fast.repaired, fast.dropped_parts, fast.null) == (
        slow.repaired,
        slow.dropped_parts,
        slow.null,
    )


def test_plain_points_all_take_the_fast_path_and_match_shapely():
    wkb = _wkb([shapely.Point(13.5 + i / 100, 45.5) for i in range(50)])
    fast, slow = _both(wkb)
    assert fast.fast_rows == 50 and slow.fast_rows == 0
    _same(fast, slow)


def test_the_fast_path_matches_prepare_and_ewkb_hex_directly():
    points = np.array([shapely.Point(1.25, -2.5), shapely.Point(3, 4)], dtype=object)
    expected = ewkb_hex(prepare(points, "MultiPoint", None).geometries, 4326)
    assert encode(_wkb(list(points)), "MultiPoint", 4326, None).hexes.to_pylist() == list(expected)


def test_nulls_empties_multipoints_and_other_types_keep_their_slow_path_rows():
    wkb = _wkb(
        [
            shapely.Point(1, 2),
            None,
            shapely.Point(),
            shapely.MultiPoint([(1, 1), (2, 2)]),
            shapely.LineString([(0, 0), (1, 1)]),
            shapely.Point(5, 6),
        ]
    )
    fast, slow = _both(wkb)
    assert fast.fast_rows == 2
    assert fast.null == 1 and fast.dropped_parts == 2
    assert fast.hexes[1].as_py() is None
    _same(fast, slow)


def test_big_endian_points_go_the_slow_way_with_the_same_result():
    big = shapely.to_wkb(shapely.Point(7, 8), byte_order=0)
    wkb = pa.array([big, shapely.to_wkb(shapely.Point(7, 8))], type=pa.binary())
    fast, slow = _both(wkb)
    assert fast.fast_rows == 1
    _same(fast, slow)
    assert fast.hexes[0].as_py() == fast.hexes[1].as_py()


def test_points_with_z_match_shapely():
    wkb = _wkb([shapely.Point(1, 2, 3), shapely.Point(4, 5, -6.5), None])
    fast, slow = _both(wkb)
    assert fast.fast_rows == 2
    _same(fast, slow)
    assert shapely.has_z(shapely.from_wkb(fast.hexes[0].as_py()))


def test_reprojected_points_match_shapely():
    wkb = _wkb([shapely.Point(500_000 + i * 37.5, 5_000_000 - i * 11.0) for i in range(20)])
    fast, slow = _both(wkb, transformer=UTM33)
    assert fast.fast_rows == 20
    _same(fast, slow)


def test_a_sliced_wkb_array_is_read_from_its_own_offset():
    wkb = _wkb([shapely.Point(i, i) for i in range(10)]).slice(3, 4)
    fast, slow = _both(wkb)
    assert fast.fast_rows == 4
    _same(fast, slow)
    assert shapely.get_coordinates(shapely.from_wkb(fast.hexes[0].as_py())).tolist() == [[3, 3]]


def test_polygon_tables_never_take_the_point_path():
    square = shapely.box(0, 0, 1, 1)
    fast, slow = _both(_wkb([square, shapely.Point(1, 1)]), target="MultiPolygon")
    assert fast.fast_rows == 0
    _same(fast, slow)


def _typed_layer(path: Path) -> Path:
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array([shapely.Point(1, 2)] * 3, dtype=object)),
        [
            np.array([1.5, np.nan, -2.0]),
            np.array(["Zürich", None, "Łódź"], dtype=object),
            np.array(["2024-01-02T03:04:05", "NaT", "1999-12-31T23:59:59.5"], "datetime64[ms]"),
            np.array([True, False, True]),
            np.array([7, 8, 2**40], dtype=np.int64),
        ],
        ["f", "s", "t", "b", "i"],
        driver="GPKG",
        layer="typed",
        crs="EPSG:4326",
        geometry_type="Point",
    )
    return path


def _as_csv(columns: list[pa.Array]) -> bytes:
    table = pa.table({str(i): c for i, c in enumerate(columns)})
    out = pa.BufferOutputStream()
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue().to_pybytes()


def test_attributes_read_as_arrow_give_the_csv_of_the_numpy_reader(tmp_path: Path):
    path = str(_typed_layer(tmp_path / "typed.gpkg"))
    _, _, _, values = pyogrio.raw.read(path)
    _, table = pyogrio.read_arrow(path)
    from_numpy = _as_csv([_arrow(v) for v in values])
    from_arrow = _as_csv([_csv_column(table.column(n).combine_chunks()) for n in "fstbi"])
    assert from_arrow == from_numpy


def test_loaded_points_have_the_ewkb_and_attributes_of_the_shapely_path(
    store: BlobStore, tmp_path: Path, vector_schema: str, postgis: LocalPostgis
):
    geometries = np.array(
        [shapely.Point(13 + i / 7, 45 + i / 9) if i % 5 else None for i in range(30)], object
    )
    path = tmp_path / "few_points.gpkg"
    labels = np.array([f"p{i}ä" for i in range(30)], dtype=object)
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(geometries),
        [labels],
        ["label"],
        driver="GPKG",
        layer="few_points",
        crs="EPSG:4326",
        geometry_type="Point",
    )
    _, _, chunks, _ = load_all(upload(store, path), "few_points", chunk_size=12)
    assert sum(c["null_geometries"] for c in chunks) == 6
    loaded = rows(
        postgis.url, vector_schema, "few_points", "upper(encode(ST_AsEWKB(geom), 'hex')), label"
    )
    expected = ewkb_hex(prepare(geometries, "MultiPoint", None).geometries, 4326)
    assert [r[0] for r in loaded] == list(expected)
    assert [r[1] for r in loaded] == list(labels)


def test_every_row_with_an_infinite_or_nan_coordinate_is_named_on_both_paths():
    import pytest

    from handlers.vector.geometry import NonFiniteCoordinates

    box = shapely.box(0, 0, 1, 1)
    lines = [
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.LineString([(0, 0), (np.nan, 1), (2, 2)]),  # NaN: finite bounds, invalid
        shapely.LineString([(0, 0), (np.inf, 1)]),
        None,
    ]
    points = [shapely.Point(1, 2), shapely.Point(np.nan, 2), None, shapely.Point(3, np.inf)]
    polygons = [box, shapely.Polygon([(0, 0), (1, 0), (np.nan, 1), (0, 1)]), box]
    cases = [(lines, "MultiLineString", [1, 2]), (points, "MultiPoint", [1, 3])]
    cases.append((polygons, "MultiPolygon", [1]))
    for geometries, target, expected in cases:
        for fast in (True, False):
            with pytest.raises(NonFiniteCoordinates) as e:
                encode(_wkb(geometries), target, 4326, None, fast=fast)
            assert e.value.rows.tolist() == expected, (target, fast)
