"""Reading a vector source from blob storage: GDAL/OGR through pyogrio, GeoParquet through
pyarrow (pyogrio's wheels carry no Parquet driver).

A source is downloaded once per process into a local cache (keyed by blob and ETag), since
several chunks of one file usually run on the same worker and OGR's sequential formats
(GeoJSON, CSV, Shapefile) cannot seek to a feature over HTTP cheaply anyway.

    open_source(params)        -> a `VectorSource` (layers, describe, read a feature range,
                                  as shapely and numpy or as Arrow)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pyarrow as pa
import pyogrio
import shapely
from pydantic import BaseModel, ConfigDict, Field

import wiring
from handlers.base import NonRetryableError, RetryableError
from handlers.raster.storage import input_ref, storage_errors

# CSV columns GDAL should read as geometry (WKT) or as x/y coordinates.
_CSV_OPTIONS = {
    "GEOM_POSSIBLE_NAMES": "wkt,WKT,geometry,geom,the_geom",
    "X_POSSIBLE_NAMES": "x,X,lon,lng,longitude,Longitude",
    "Y_POSSIBLE_NAMES": "y,Y,lat,latitude,Latitude",
    "KEEP_GEOM_COLUMNS": "NO",
    "AUTODETECT_TYPE": "YES",
}
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_CACHE_ENTRIES = 4


class LayerMetadata(TypedDict, total=False):
    """What a layer says of itself without reading its features: pyogrio's ``read_info``
    (the keys read here; it has more), or the same keys from GeoParquet metadata."""

    fields: np.ndarray  # field names
    dtypes: np.ndarray  # their numpy dtypes, as names
    crs: str | None
    features: int  # -1 when the driver cannot count them cheaply
    geometry_type: str | None
    total_bounds: tuple[float, float, float, float] | None  # None when unknown
    driver: str


class SourceParams(BaseModel):
    """Where a vector source is, and which of its layers to read."""

    model_config = ConfigDict(extra="forbid")

    container: str = Field(min_length=3, max_length=63)
    blob_path: str = Field(min_length=1, max_length=1024)
    layer: str | None = Field(default=None, description="default: the first layer with geometry")
    source_srid: int | None = Field(
        default=None, gt=0, description="the source's CRS when the file declares none (CSV)"
    )


@dataclass
class Batch:
    """Features ``offset .. offset+len`` of a layer: shapely geometries and column arrays."""

    geometries: np.ndarray
    columns: dict[str, np.ndarray]


@dataclass
class ArrowBatch:
    """Features ``offset .. offset+len`` of a layer as Arrow: the WKB column (null for a
    missing geometry) and the attribute columns, by field name."""

    wkb: pa.Array
    columns: dict[str, pa.Array]


class VectorSource:
    """One local copy of a source; ``path`` is what GDAL (or pyarrow) opens."""

    def __init__(self, path: str, params: SourceParams) -> None:
        self.path = path
        self.params = params
        self.is_parquet = params.blob_path.lower().endswith(_PARQUET_SUFFIXES)
        self.options = _CSV_OPTIONS if params.blob_path.lower().endswith(".csv") else {}

    def layers(self) -> list[tuple[str, str | None]]:
        """(name, geometry type or None) of every layer, in file order."""
        if self.is_parquet:
            meta = _geo_metadata(self.path, self.params)
            column = meta["primary_column"]
            kinds = meta["columns"][column].get("geometry_types") or ["Unknown"]
            return [(Path(self.params.blob_path).stem, ",".join(kinds))]
        with _unreadable(self.params):
            found = [(str(name), kind) for name, kind in pyogrio.list_layers(self.path)]
            if self.options:  # CSV: only the open options make a column the geometry
                found = [(name, self.info(name)["geometry_type"]) for name, _ in found]
        return [(name, None if kind is None else str(kind)) for name, kind in found]

    def info(self, layer: str) -> LayerMetadata:
        """pyogrio's ``read_info`` of the layer (fields, dtypes, crs, features, ...)."""
        if self.is_parquet:
            return _parquet_info(self.path, self.params)
        with _unreadable(self.params):
            found: LayerMetadata = pyogrio.read_info(
                self.path,
                layer=layer,
                force_feature_count=True,
                force_total_bounds=True,
                **self.options,
            )
        return found

    def read(self, layer: str, offset: int = 0, count: int | None = None) -> Batch:
        """Features ``offset .. offset+count`` (all from ``offset`` when count is None)."""
        if self.is_parquet:
            return _parquet_read(self.path, self.params, offset, count)
        with _unreadable(self.params):
            meta, _, wkb, values = pyogrio.raw.read(
                self.path, layer=layer, skip_features=offset, max_features=count, **self.options
            )
        names = [str(n) for n in meta["fields"]]
        geometries = shapely.from_wkb(wkb) if wkb is not None else np.full(len(values[0]), None)
        return Batch(geometries, dict(zip(names, values, strict=True)))

    def read_arrow(self, layer: str, offset: int, count: int) -> ArrowBatch:
        """Features ``offset .. offset+count`` as Arrow, without a Python object per feature
        (what the loader needs: the WKB goes to `ewkb.encode`, the columns to COPY)."""
        if self.is_parquet:
            meta = _geo_metadata(self.path, self.params)
            table = _parquet_file(self.path, self.params).read().slice(offset, count)
            geometry_column = meta["primary_column"]
        else:
            with _unreadable(self.params):
                info, table = pyogrio.read_arrow(
                    self.path,
                    layer=layer,
                    skip_features=offset,
                    max_features=count,
                    **self.options,
                )
            geometry_column = info["geometry_name"] or "wkb_geometry"
        columns = {name: table.column(name) for name in table.column_names}
        wkb = columns.pop(geometry_column, None)
        if wkb is None:
            wkb = pa.nulls(table.num_rows, pa.binary())
        return ArrowBatch(_one_chunk(wkb), {k: _one_chunk(v) for k, v in columns.items()})


@contextmanager
def open_source(params: SourceParams) -> Iterator[VectorSource]:
    """The source, from the per-process download cache."""
    local = _cached_download(params)
    path = f"/vsizip/{local}" if params.blob_path.lower().endswith(".zip") else str(local)
    yield VectorSource(path, params)


_cache_lock = threading.Lock()
_cache_dir: Path | None = None


def _cached_download(params: SourceParams) -> Path:
    global _cache_dir
    store = wiring.blob_store()
    with storage_errors():
        ref = input_ref(store, params.container, params.blob_path)
        etag = store.info(ref).etag
    key = hashlib.sha256(f"{ref}\n{etag}".encode()).hexdigest()[:32]
    suffix = "".join(Path(params.blob_path).suffixes[-1:]).lower()
    with _cache_lock:
        if _cache_dir is None or not _cache_dir.exists():
            _cache_dir = Path(tempfile.mkdtemp(prefix="dagmaster-vector-"))
        target = _cache_dir / f"{key}{suffix}"
        if not target.exists():
            partial = target.with_name(target.name + ".part")
            with storage_errors():
                store.download_file(ref, partial)
            partial.rename(target)
            _evict(_cache_dir, keep=target)
    return target


def _evict(directory: Path, keep: Path) -> None:
    entries = sorted(directory.glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in [p for p in entries if p != keep][_CACHE_ENTRIES - 1 :]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextmanager
def _unreadable(params: SourceParams) -> Iterator[None]:
    """GDAL's refusal to open or read a file is permanent: the bytes will not change."""
    try:
        yield
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise NonRetryableError(
            f"blob {params.container}/{params.blob_path} cannot be read as vector data: {exc}",
            kind="unreadable_vector",
        ) from exc
    except pyogrio.errors.FieldError as exc:
        raise NonRetryableError(
            f"blob {params.container}/{params.blob_path} has a field GDAL cannot read: {exc}",
            kind="unreadable_vector",
        ) from exc
    except OSError as exc:
        raise RetryableError(f"reading {params.blob_path} failed: {exc}", kind="io_error") from exc


def _one_chunk(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _parquet_file(path: str, params: SourceParams) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise NonRetryableError(
            f"blob {params.container}/{params.blob_path} is not a readable Parquet file: {exc}",
            kind="unreadable_vector",
        ) from exc


def _geo_metadata(path: str, params: SourceParams) -> dict[str, Any]:
    metadata = _parquet_file(path, params).schema_arrow.metadata or {}
    if b"geo" not in metadata:
        raise NonRetryableError(
            f"blob {params.container}/{params.blob_path} is Parquet without GeoParquet "
            "metadata (no 'geo' key): it has no geometry column",
            kind="no_geometry",
        )
    meta: dict[str, Any] = json.loads(metadata[b"geo"])
    return meta


def _parquet_info(path: str, params: SourceParams) -> LayerMetadata:
    meta = _geo_metadata(path, params)
    column = meta["primary_column"]
    file = _parquet_file(path, params)
    schema = file.schema_arrow
    fields = [f for f in schema if f.name != column]
    crs = meta["columns"][column].get("crs", "OGC:CRS84")
    return {
        "fields": np.array([f.name for f in fields], dtype=object),
        "dtypes": np.array([_arrow_dtype(f.type) for f in fields], dtype=object),
        "crs": None if crs is None else (json.dumps(crs) if isinstance(crs, dict) else crs),
        "features": file.metadata.num_rows,
        "geometry_type": ",".join(meta["columns"][column].get("geometry_types") or []),
    }


def _arrow_dtype(kind: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_integer(kind):
        return "int64"
    if pa.types.is_floating(kind):
        return "float64"
    if pa.types.is_timestamp(kind):
        return "datetime64[ms]"
    return "object"


def _parquet_read(path: str, params: SourceParams, offset: int, count: int | None) -> Batch:
    meta = _geo_metadata(path, params)
    column = meta["primary_column"]
    table = _parquet_file(path, params).read()
    table = table.slice(offset, count)
    wkb = table.column(column).to_numpy(zero_copy_only=False)
    columns = {
        name: table.column(name).to_numpy(zero_copy_only=False)
        for name in table.column_names
        if name != column
    }
    return Batch(shapely.from_wkb(wkb), columns)
