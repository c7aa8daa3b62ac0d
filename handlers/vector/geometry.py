"""Geometry work for loading: one geometry type per table, valid, reprojected, as EWKB.

A table holds one family (points, lines or polygons), always as its multi type, so a layer
that mixes ``Polygon`` and ``MultiPolygon`` loads as ``MultiPolygon``. ``make_valid`` may
turn a bad polygon into a collection (a polygon plus a stray line): the parts of the
table's family are kept and the rest dropped, and both counts are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from shapely import GeometryType

FAMILIES: dict[str, tuple[GeometryType, ...]] = {
    "MultiPoint": (GeometryType.POINT, GeometryType.MULTIPOINT),
    "MultiLineString": (
        GeometryType.LINESTRING,
        GeometryType.LINEARRING,
        GeometryType.MULTILINESTRING,
    ),
    "MultiPolygon": (GeometryType.POLYGON, GeometryType.MULTIPOLYGON),
}
# Each builds multi geometries from parts grouped by ``indices`` into ``out``.
_MULTI: dict[str, Callable[..., object]] = {
    "MultiPoint": shapely.multipoints,
    "MultiLineString": shapely.multilinestrings,
    "MultiPolygon": shapely.multipolygons,
}


def table_geometry_type(type_names: Iterable[str]) -> str | None:
    """The multi type that holds every named type (``Point``, ``MultiPolygon`` ...), or None
    when they belong to more than one family (points with polygons)."""
    families = {_family(name) for name in type_names}
    families.discard(None)
    return families.pop() if len(families) == 1 else None


def _family(type_name: str) -> str | None:
    """``Polygon``, ``3D MultiPolygon``, ``LineString Z``, ``MultiPoint M`` -> the multi type."""
    words = type_name.replace("3D ", "").replace("Measured ", "").split()
    base = words[0].lower() if words else ""
    for multi in FAMILIES:
        if base in (multi.lower(), multi.lower().removeprefix("multi")):
            return multi
    return "MultiLineString" if base == "linearring" else None


class NonFiniteCoordinates(ValueError):
    """Rows with an infinite or NaN x or y: GEOS cannot work with them (a point's validity
    check raises), and no table should hold them."""

    def __init__(self, rows: np.ndarray) -> None:
        super().__init__(f"{len(rows)} rows with an infinite or NaN coordinate")
        self.rows = rows


def validity(geometries: np.ndarray) -> np.ndarray:
    """``is_valid`` of every row (a missing geometry counts as valid), or
    `NonFiniteCoordinates` naming the rows with an infinite or NaN x or y.

    Cheap on clean data: bounds show an infinite coordinate anywhere and a NaN one in a
    point, and a NaN elsewhere makes its geometry invalid, so only the invalid rows are
    looked at coordinate by coordinate."""
    missing = shapely.is_missing(geometries)
    bounds = shapely.bounds(geometries)
    suspect = ~missing & ~shapely.is_empty(geometries) & ~np.isfinite(bounds).all(axis=1)
    if suspect.any():  # GEOS raises on a point with a NaN coordinate: not asked
        valid = np.zeros(len(geometries), dtype=bool)
        valid[~suspect] = shapely.is_valid(geometries[~suspect]) | missing[~suspect]
    else:
        valid = shapely.is_valid(geometries) | missing
    candidates = np.flatnonzero(~valid)
    bad = candidates[_non_finite(geometries[candidates])] if len(candidates) else candidates
    if len(bad):
        raise NonFiniteCoordinates(bad)
    return valid


def _non_finite(geometries: np.ndarray) -> np.ndarray:
    """Positions in ``geometries`` with an infinite or NaN x or y."""
    xy, index = shapely.get_coordinates(geometries, return_index=True)
    return np.unique(index[~np.isfinite(xy).all(axis=1)])


def non_finite_message(rows: np.ndarray, first_feature: int = 0) -> str:
    """``feature 5 has`` / ``features 5, 9 (and 3 more) have``: the source's feature
    indexes (``ogc_fid``), counted from 0."""
    shown = ", ".join(str(first_feature + int(r)) for r in rows[:5])
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    verb = "has" if len(rows) == 1 else "have"
    return (
        f"feature{'s' if len(rows) > 1 else ''} {shown}{more} {verb} an infinite or NaN "
        "coordinate: fix or remove the feature in the source (features count from 0, "
        "as ogc_fid)"
    )


@dataclass
class Prepared:
    """Geometries ready to load, and what was done to get there."""

    geometries: np.ndarray
    repaired: int
    dropped_parts: int
    null: int


def prepare(
    geometries: np.ndarray, target: str, transformer: pyproj.Transformer | None
) -> Prepared:
    """Make valid, keep the target family, promote to multi, reproject (see the module doc);
    `NonFiniteCoordinates` for rows with an infinite or NaN coordinate."""
    null = int(shapely.is_missing(geometries).sum())
    invalid = ~validity(geometries)
    repaired = int(invalid.sum())
    if repaired:
        geometries = geometries.copy()
        geometries[invalid] = shapely.make_valid(geometries[invalid])
    multi, dropped = _as_multi(geometries, target)
    if transformer is not None:
        multi = _reproject(multi, transformer)
    return Prepared(multi, repaired, dropped, null)


def _as_multi(geometries: np.ndarray, target: str) -> tuple[np.ndarray, int]:
    members = np.array([int(t) for t in FAMILIES[target]])
    parts, index = shapely.get_parts(geometries, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), members) & ~shapely.is_empty(parts)
    dropped = int((~keep).sum())
    parts, index = parts[keep], index[keep]
    out = np.full(len(geometries), None, dtype=object)
    if len(parts):
        # Every multi geometry at once: parts grouped by the index of their feature.
        _MULTI[target](parts, indices=index, out=out)
    emptied = shapely.is_missing(out) & ~shapely.is_missing(geometries)
    out[emptied] = shapely.from_wkt(f"{target.upper()} EMPTY")
    return out, dropped


def _reproject(geometries: np.ndarray, transformer: pyproj.Transformer) -> np.ndarray:
    has_z = bool(shapely.has_z(geometries[~shapely.is_missing(geometries)]).any())

    def move(coords: np.ndarray) -> np.ndarray:
        moved = transformer.transform(*coords.T)
        return np.column_stack(moved)

    return shapely.transform(geometries, move, include_z=has_z)


def ewkb_hex(geometries: np.ndarray, srid: int) -> np.ndarray:
    """Hex EWKB with the SRID, which PostGIS reads as text input of a geometry column."""
    with_srid = shapely.set_srid(geometries, srid)
    return shapely.to_wkb(with_srid, hex=True, include_srid=True)
