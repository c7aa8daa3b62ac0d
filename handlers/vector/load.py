"""vector_plan_chunks, vector_load_chunk, vector_finalize: the table, its chunks, its end.

The contract of the table (layout, ownership by job, delete-then-copy per chunk) is in
`adapters.postgis.tables`.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyproj
from pydantic import BaseModel, ConfigDict, Field

import wiring
from adapters.postgis import PostgisUnconfigured, connect
from adapters.postgis.tables import (
    CHUNK,
    FID,
    GEOM,
    Column,
    TableNotOwned,
    create_table,
    finalize_table,
    replace_chunk,
)
from adapters.postgis.views import ReaderRoleMissing, TableMissing
from handlers.base import HandlerContext, NonRetryableError, RetryableError, registry
from handlers.vector.ewkb import encode
from handlers.vector.geometry import NonFiniteCoordinates, non_finite_message
from handlers.vector.models import TABLE_PATTERN, ChunkRange, TableTarget
from handlers.vector.source import SourceParams, open_source

MAX_CHUNKS = 10_000


@contextmanager
def postgis() -> Iterator[tuple[psycopg.Connection, str]]:
    """A connection and the vector schema; database failures become handler errors."""
    settings = wiring.postgis_settings()
    try:
        with connect(settings) as conn:
            yield conn, settings.schema_name
    except PostgisUnconfigured as exc:
        raise NonRetryableError(str(exc), kind="postgis_unconfigured") from exc
    except TableNotOwned as exc:
        raise NonRetryableError(str(exc), kind="table_not_owned") from exc
    except TableMissing as exc:
        raise NonRetryableError(str(exc), kind="table_missing") from exc
    except ReaderRoleMissing as exc:
        raise NonRetryableError(str(exc), kind="reader_role_missing") from exc
    except psycopg.errors.DependentObjectsStillExist as exc:
        raise NonRetryableError(
            f"the table is published (a view shows it), so it cannot be replaced: {exc}; "
            "load into another table, or unpublish first",
            kind="table_published",
        ) from exc
    except psycopg.OperationalError as exc:
        raise RetryableError(f"PostGIS unavailable: {exc}", kind="postgis_unavailable") from exc


class PlanParams(TableTarget):
    feature_count: int = Field(ge=1)
    chunk_size: int = Field(default=50_000, ge=1, le=10_000_000)


class ChunkPlan(BaseModel):
    table: str
    schema_name: str
    chunks: list[ChunkRange]
    created: bool = Field(description="False: the table was already this job's (a retry)")


@registry.register("vector_plan_chunks", PlanParams)
def vector_plan_chunks(params: PlanParams, ctx: HandlerContext) -> ChunkPlan:
    """Split the layer into feature ranges of ``chunk_size`` and create the job's empty table."""
    count = math.ceil(params.feature_count / params.chunk_size)
    if count > MAX_CHUNKS:
        raise NonRetryableError(
            f"{params.feature_count} features in chunks of {params.chunk_size} make {count} "
            f"chunks (at most {MAX_CHUNKS}): raise chunk_size",
            kind="invalid_params",
        )
    chunks = [
        ChunkRange(
            index=i, offset=offset, count=min(params.chunk_size, params.feature_count - offset)
        )
        for i, offset in enumerate(range(0, params.feature_count, params.chunk_size))
    ]
    with postgis() as (conn, schema):
        created = create_table(
            conn,
            schema,
            params.table,
            columns=[Column(name=f.column, pg_type=f.pg_type) for f in params.fields],
            geometry_type=params.geometry_type,
            srid=params.target_srid,
            has_z=params.has_z,
            job_id=ctx.job_id,
        )
    return ChunkPlan(table=params.table, schema_name=schema, chunks=chunks, created=created)


class LoadChunkParams(TableTarget, SourceParams):
    model_config = ConfigDict(extra="forbid")

    chunk: ChunkRange


class ChunkResult(BaseModel):
    index: int
    rows: int
    repaired: int
    dropped_parts: int
    null_geometries: int


@registry.register("vector_load_chunk", LoadChunkParams)
def vector_load_chunk(params: LoadChunkParams, ctx: HandlerContext) -> ChunkResult:
    """Read the chunk's features, repair, reproject and cast them, and replace the chunk's rows
    in one transaction (so a retried or duplicated chunk leaves exactly one copy)."""
    chunk = params.chunk
    with open_source(params) as source:
        layer = params.layer or source.layers()[0][0]
        batch = source.read_arrow(layer, chunk.offset, chunk.count)
    if len(batch.wkb) != chunk.count:
        raise NonRetryableError(
            f"chunk {chunk.index} expected {chunk.count} features at offset {chunk.offset} "
            f"but the source has {len(batch.wkb)} there: did the source change?",
            kind="source_changed",
        )
    ctx.report_progress(30, f"read {chunk.count} features")
    transformer = _transformer(params.source_srid, params.target_srid)
    try:
        encoded = encode(batch.wkb, params.geometry_type, params.target_srid, transformer)
    except NonFiniteCoordinates as exc:
        raise NonRetryableError(
            f"{params.container}/{params.blob_path} layer '{layer}': "
            f"{non_finite_message(exc.rows, chunk.offset)}",
            kind="invalid_coordinates",
        ) from exc
    payload = _csv(chunk, encoded.hexes, params, batch.columns)
    ctx.report_progress(60, "copying into PostGIS")
    with postgis() as (conn, schema):
        written = replace_chunk(
            conn,
            schema,
            params.table,
            job_id=ctx.job_id,
            chunk=chunk.index,
            column_names=[f.column for f in params.fields],
            csv=payload,
        )
    return ChunkResult(
        index=chunk.index,
        rows=written,
        repaired=encoded.repaired,
        dropped_parts=encoded.dropped_parts,
        null_geometries=encoded.null,
    )


def _wgs84(
    bbox: tuple[float, float, float, float] | None, srid: int
) -> tuple[float, float, float, float] | None:
    if bbox is None or srid == 4326:
        return bbox
    to_wgs84 = pyproj.Transformer.from_crs(srid, 4326, always_xy=True)
    w, s, e, n = to_wgs84.transform_bounds(*bbox, densify_pts=21)
    return (float(w), float(s), float(e), float(n))


def _transformer(source: int | None, target: int) -> pyproj.Transformer | None:
    if source is None or source == target:
        return None
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _csv(
    chunk: ChunkRange, hexes: pa.Array, params: LoadChunkParams, columns: dict[str, pa.Array]
) -> bytes:
    """The chunk as COPY's CSV, written by Arrow in C++: a Python loop over rows would be
    the slowest part of the load. NaN and NaT become NULL; nested values become JSON."""
    table = {
        FID: pa.array(np.arange(chunk.offset, chunk.offset + chunk.count, dtype=np.int64)),
        GEOM: hexes,
        CHUNK: pa.array(np.full(chunk.count, chunk.index, dtype=np.int32)),
    }
    for i, field in enumerate(params.fields):
        table[f"c{i}"] = _csv_column(columns[field.name])
    out = io.BytesIO()
    pa_csv.write_csv(pa.table(table), out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue()


def _csv_column(values: pa.Array) -> pa.Array:
    """Integers, text and booleans as read; floats with NaN as NULL; anything else through
    numpy, as GDAL's numpy reader gives it (timestamps without zone, dates, bytes, lists)."""
    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
        return values
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    if pa.types.is_floating(kind):
        return pc.if_else(pc.is_nan(values), pa.scalar(None, kind), values)
    return _arrow(values.to_numpy(zero_copy_only=False))


def _arrow(values: np.ndarray) -> pa.Array:
    if values.dtype.kind == "O" and not all(v is None or isinstance(v, str) for v in values):
        values = np.array([_scalar(v) for v in values], dtype=object)
    return pa.array(values, from_pandas=True)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, default=str)


class FinalizeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str = Field(pattern=TABLE_PATTERN)
    feature_count: int = Field(ge=0, description="the source's feature count")
    target_srid: int = Field(gt=0)
    geometry_type: str
    chunks: list[ChunkResult] = Field(default_factory=list)


class FinalizeResult(BaseModel):
    table: str
    schema_name: str
    qualified_name: str
    feature_count: int
    srid: int
    geometry_type: str
    bbox: tuple[float, float, float, float] | None
    bbox_wgs84: tuple[float, float, float, float] | None
    repaired: int
    dropped_parts: int


@registry.register("vector_finalize", FinalizeParams)
def vector_finalize(params: FinalizeParams, ctx: HandlerContext) -> FinalizeResult:
    """Primary key, spatial index, ANALYZE; fail if the row count differs from the source's."""
    with postgis() as (conn, schema):
        extent = finalize_table(conn, schema, params.table)
    if extent.rows != params.feature_count:
        raise NonRetryableError(
            f"table {schema}.{params.table} has {extent.rows} rows but the source has "
            f"{params.feature_count} features",
            kind="row_count_mismatch",
        )
    return FinalizeResult(
        table=params.table,
        schema_name=schema,
        qualified_name=f"{schema}.{params.table}",
        feature_count=extent.rows,
        srid=params.target_srid,
        geometry_type=params.geometry_type,
        bbox=extent.bbox,
        bbox_wgs84=_wgs84(extent.bbox, params.target_srid),
        repaired=sum(c.repaired for c in params.chunks),
        dropped_parts=sum(c.dropped_parts for c in params.chunks),
    )
