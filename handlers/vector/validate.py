"""vector_validate: describe a vector source and refuse, in plain words, what cannot load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TypeGuard

import numpy as np
import pyproj
import shapely
from pydantic import BaseModel, Field

from adapters.postgis.tables import RESERVED
from handlers.base import HandlerContext, NonRetryableError, registry
from handlers.vector.geometry import (
    NonFiniteCoordinates,
    non_finite_message,
    table_geometry_type,
    validity,
)
from handlers.vector.models import FieldInfo, LayerInfo
from handlers.vector.source import LayerMetadata, SourceParams, open_source

# Formats whose layer schema fixes the geometry type and dimension of every feature.
_TYPED_DRIVERS = {"GPKG", "FlatGeobuf", "ESRI Shapefile"}
_PG_TYPES = {
    "bool": "boolean",
    "int8": "smallint",
    "int16": "smallint",
    "int32": "integer",
    "int64": "bigint",
    "uint8": "smallint",
    "uint16": "integer",
    "uint32": "bigint",
    "float32": "real",
    "float64": "double precision",
    "datetime64[D]": "date",
}


class VectorValidation(BaseModel):
    container: str
    blob_path: str
    layers: list[LayerInfo]
    layer: str
    feature_count: int
    geometry_types: dict[str, int]
    geometry_type: str
    has_z: bool
    crs: str
    source_srid: int
    bbox: tuple[float, float, float, float]
    bbox_wgs84: tuple[float, float, float, float]
    fields: list[FieldInfo]
    invalid_geometries: int | None = Field(description="None: not counted (declared type)")
    null_geometries: int | None
    warnings: list[str]


@registry.register("vector_validate", SourceParams)
def vector_validate(params: SourceParams, ctx: HandlerContext) -> VectorValidation:
    """Describe the layer (features, geometry types, CRS, bbox, fields); refuse a file GDAL
    cannot read, a layer without geometry, a missing or unusable CRS, geometry types of two
    families, or 2D mixed with 3D (NonRetryableError).

    A layer whose format declares one geometry type in its schema (GeoPackage, Shapefile,
    FlatGeobuf) is described from its metadata; any other (GeoJSON, CSV, GeoParquet, or a
    layer declared ``Geometry``) has every geometry read once, which also counts the invalid
    and missing ones.
    """
    with open_source(params) as source:
        layers = [LayerInfo(name=n, geometry_type=t) for n, t in source.layers()]
        layer = _choose_layer(layers, params)
        declared = next(x.geometry_type for x in layers if x.name == layer)
        info = source.info(layer)
        where = f"layer '{layer}' of {params.container}/{params.blob_path}"
        # A non-finite extent means a feature with an infinite or NaN coordinate (or no
        # geometry at all): reading them all finds and names it.
        extent = info.get("total_bounds")
        finite = extent is not None and bool(np.isfinite(extent).all())
        if info.get("driver") in _TYPED_DRIVERS and _declares_one_type(declared) and finite:
            shape = _declared_shape(declared, info, where)
        else:
            shape = _scanned_shape(source.read(layer).geometries, where)
    crs, srid = _crs(info.get("crs"), params, where)
    return VectorValidation(
        container=params.container,
        blob_path=params.blob_path,
        layers=layers,
        layer=layer,
        crs=crs.to_string(),
        source_srid=srid,
        bbox_wgs84=_wgs84_bounds(crs, shape.bbox, where),
        fields=_fields(info),
        **shape.model_dump(),
    )


class LayerShape(BaseModel):
    """What the geometries of a layer are: read from its metadata or from every geometry."""

    feature_count: int
    geometry_types: dict[str, int]
    geometry_type: str
    has_z: bool
    bbox: tuple[float, float, float, float]
    invalid_geometries: int | None
    null_geometries: int | None
    warnings: list[str]


def _declares_one_type(declared: str | None) -> TypeGuard[str]:
    return declared is not None and table_geometry_type([declared]) is not None


def _declared_shape(declared: str, info: LayerMetadata, where: str) -> LayerShape:
    count = int(info["features"])
    if count <= 0:
        raise NonRetryableError(f"{where} has no features", kind="empty_layer")
    bounds = info.get("total_bounds")
    if bounds is None or not all(np.isfinite(bounds)):
        raise NonRetryableError(f"{where} has no geometries", kind="no_geometry")
    return LayerShape(
        feature_count=count,
        geometry_types={declared: count},
        geometry_type=table_geometry_type([declared]) or "",
        has_z="Z" in declared.split() or declared.startswith("3D "),
        bbox=_bbox(bounds),
        invalid_geometries=None,
        null_geometries=None,
        warnings=[],
    )


def _scanned_shape(geometries: np.ndarray, where: str) -> LayerShape:
    present = geometries[~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)]
    if len(geometries) == 0:
        raise NonRetryableError(f"{where} has no features", kind="empty_layer")
    if len(present) == 0:
        raise NonRetryableError(f"{where} has no geometries", kind="no_geometry")
    types = Counter(int(t) for t in shapely.get_type_id(present).tolist())
    named = {_TYPE_NAMES[k]: v for k, v in types.items()}
    target = table_geometry_type(named)
    if target is None:
        raise NonRetryableError(
            f"{where} mixes geometry types of different kinds ({_counts(named)}): one table "
            "holds points, lines or polygons; split the layer by geometry type",
            kind="mixed_geometry_types",
        )
    z = shapely.has_z(present)
    if z.any() and not z.all():
        raise NonRetryableError(
            f"{where} mixes 2D and 3D geometries ({int(z.sum())} of {len(present)} have Z)",
            kind="mixed_dimensions",
        )
    try:
        valid = validity(geometries)
    except NonFiniteCoordinates as exc:
        message = f"{where}: {non_finite_message(exc.rows)}"
        raise NonRetryableError(message, kind="invalid_coordinates") from exc
    invalid = int((~valid).sum())
    missing = len(geometries) - len(present)
    return LayerShape(
        feature_count=len(geometries),
        geometry_types=named,
        geometry_type=target,
        has_z=bool(z.all()),
        bbox=_bbox(shapely.total_bounds(present)),
        invalid_geometries=invalid,
        null_geometries=missing,
        warnings=_warnings(invalid, missing),
    )


_TYPE_NAMES = {int(t): t.name.title().replace("string", "String") for t in shapely.GeometryType}
_TYPE_NAMES[int(shapely.GeometryType.LINEARRING)] = "LinearRing"
_TYPE_NAMES[int(shapely.GeometryType.GEOMETRYCOLLECTION)] = "GeometryCollection"
for _kind in ("MultiPoint", "MultiLineString", "MultiPolygon"):
    _TYPE_NAMES[int(getattr(shapely.GeometryType, _kind.upper()))] = _kind


def _counts(named: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(named.items()))


def _choose_layer(layers: list[LayerInfo], params: SourceParams) -> str:
    names = [layer.name for layer in layers]
    if params.layer is not None:
        if params.layer not in names:
            raise NonRetryableError(
                f"{params.container}/{params.blob_path} has no layer '{params.layer}' "
                f"(layers: {', '.join(names) or 'none'})",
                kind="unknown_layer",
            )
        return params.layer
    with_geometry = [layer.name for layer in layers if layer.geometry_type]
    if not with_geometry:
        raise NonRetryableError(
            f"{params.container}/{params.blob_path} has no layer with geometry "
            f"(layers: {', '.join(names) or 'none'})",
            kind="no_geometry",
        )
    return with_geometry[0]


def _crs(declared: str | None, params: SourceParams, where: str) -> tuple[pyproj.CRS, int]:
    if not declared:
        if params.source_srid is None:
            raise NonRetryableError(
                f"{where} declares no coordinate reference system: pass source_srid "
                "(the EPSG code of its coordinates)",
                kind="missing_crs",
            )
        declared = f"EPSG:{params.source_srid}"
    try:
        crs = pyproj.CRS.from_user_input(declared)
    except pyproj.exceptions.CRSError as exc:
        raise NonRetryableError(
            f"{where} has a CRS PROJ cannot read: {exc}", kind="unusable_crs"
        ) from exc
    srid = params.source_srid or crs.to_epsg(min_confidence=70)
    if srid is None:
        raise NonRetryableError(
            f"{where} has a CRS with no EPSG code ({crs.name}): pass source_srid",
            kind="unusable_crs",
        )
    return crs, srid


def _wgs84_bounds(
    crs: pyproj.CRS, bbox: tuple[float, float, float, float], where: str
) -> tuple[float, float, float, float]:
    try:
        to_wgs84 = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        bounds = to_wgs84.transform_bounds(*bbox, errcheck=True)
    except pyproj.exceptions.ProjError as exc:
        raise NonRetryableError(
            f"{where} is in {crs.name}, which has no known relation to longitude/latitude: "
            f"it cannot be placed on the map ({exc})",
            kind="unusable_crs",
        ) from exc
    if not all(np.isfinite(bounds)):
        raise NonRetryableError(
            f"{where} is in {crs.name}, whose coordinates do not transform to longitude/latitude",
            kind="unusable_crs",
        )
    return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))


def _fields(info: LayerMetadata) -> list[FieldInfo]:
    taken = set(RESERVED)
    fields = []
    for name, dtype in zip(info["fields"], info["dtypes"], strict=True):
        column = str(name)
        while column in taken:
            column = f"{column}_src"
        taken.add(column)
        pg_type = _PG_TYPES.get(str(dtype)) or (
            "timestamp" if str(dtype).startswith("datetime64") else "text"
        )
        fields.append(FieldInfo(name=str(name), column=column, dtype=str(dtype), pg_type=pg_type))
    return fields


def _bbox(values: Iterable[float]) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = (float(v) for v in values)
    return xmin, ymin, xmax, ymax


def _warnings(invalid: int, missing: int) -> list[str]:
    found = []
    if invalid:
        found.append(f"{invalid} invalid geometries: they will be repaired with make_valid")
    if missing:
        found.append(f"{missing} features without geometry: they load with no geometry")
    return found
