"""Vector sources shaped like real data, for the tests, the demo and the benchmark.

``parcels``: polygons in UTM 33N (EPSG:32633) with holes, one self-intersecting ("bowtie")
ring, single and multi polygons mixed, non-ASCII names, integer, float, date-less fields.
``points``: ``n`` points in WGS84 with an id and a label. Writers use pyogrio's raw API
(no GeoPandas) and pyarrow for GeoParquet.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely

NAMES = ("Škofja Loka", "Zürich", "Kraków", "Niš", "Ålesund", "Žalec", "Łódź", "plain")


@dataclass
class Features:
    geometries: np.ndarray
    fields: dict[str, np.ndarray]
    crs: str
    geometry_type: str


def parcels(n: int, seed: int = 7) -> Features:
    """``n`` parcels: every 10th has a hole, every 7th is a two-part MultiPolygon, the 4th
    is a bowtie (invalid); the rest are plain boxes."""
    rng = np.random.default_rng(seed)
    x0 = 500_000 + (np.arange(n) % 300) * 120.0
    y0 = 5_000_000 + (np.arange(n) // 300) * 120.0
    size = rng.uniform(40, 100, n)
    geoms = np.empty(n, dtype=object)
    for i in range(n):
        x, y, s = x0[i], y0[i], size[i]
        if i == 3:
            geoms[i] = shapely.Polygon([(x, y), (x + s, y + s), (x + s, y), (x, y + s), (x, y)])
        elif i % 10 == 0:
            geoms[i] = shapely.Polygon(
                shapely.box(x, y, x + s, y + s).exterior.coords,
                [shapely.box(x + 10, y + 10, x + 20, y + 20).exterior.coords[::-1]],
            )
        elif i % 7 == 0:
            geoms[i] = shapely.MultiPolygon(
                [
                    shapely.box(x, y, x + s / 3, y + s / 3),
                    shapely.box(x + s / 2, y, x + s, y + s / 3),
                ]
            )
        else:
            geoms[i] = shapely.box(x, y, x + s, y + s)
    fields = {
        "parcel_id": np.arange(n, dtype=np.int64),
        "name": np.array([NAMES[i % len(NAMES)] for i in range(n)], dtype=object),
        "area_ha": np.round(size * size / 10_000, 4),
    }
    return Features(geoms, fields, "EPSG:32633", "Unknown")


def points(n: int, seed: int = 3) -> Features:
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(13.0, 16.0, n), rng.uniform(45.0, 47.0, n)])
    fields = {
        "point_id": np.arange(n, dtype=np.int64),
        "label": np.array([f"p{i}" for i in range(n)], dtype=object),
    }
    geoms = shapely.points(xy)
    assert isinstance(geoms, np.ndarray)  # an (n, 2) array in, n points out (a Point for one pair)
    return Features(geoms, fields, "EPSG:4326", "Point")


def write(features: Features, path: Path, driver: str, layer: str | None = None) -> Path:
    """Write with GDAL (GPKG, GeoJSON, FlatGeobuf, ESRI Shapefile)."""
    geometry_type = "Unknown" if driver == "GeoJSON" else features.geometry_type
    if driver in ("ESRI Shapefile", "FlatGeobuf") and geometry_type == "Unknown":
        geometry_type = "MultiPolygon"  # these formats need one declared type
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(features.geometries),
        list(features.fields.values()),
        list(features.fields),
        driver=driver,
        layer=layer or path.stem,
        crs=features.crs,
        geometry_type=geometry_type,
        encoding="UTF-8",
    )
    return path


def write_zipped_shapefile(features: Features, directory: Path, name: str) -> Path:
    shp_dir = directory / f"{name}_shp"
    shp_dir.mkdir(parents=True, exist_ok=True)
    write(features, shp_dir / f"{name}.shp", "ESRI Shapefile")
    archive = directory / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    return archive


def write_csv_wkt(features: Features, path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        names = list(features.fields)
        writer.writerow(["wkt", *names])
        for i, geom in enumerate(features.geometries):
            writer.writerow([geom.wkt, *(features.fields[n][i] for n in names)])
    return path


def write_geoparquet(features: Features, path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyproj import CRS

    columns = {name: pa.array(values.tolist()) for name, values in features.fields.items()}
    columns["geometry"] = pa.array(shapely.to_wkb(features.geometries).tolist(), type=pa.binary())
    types = sorted({g.geom_type for g in features.geometries})
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": types,
                "crs": CRS.from_user_input(features.crs).to_json_dict(),
            }
        },
    }
    table = pa.table(columns).replace_schema_metadata({"geo": json.dumps(geo)})
    pq.write_table(table, path)
    return path
