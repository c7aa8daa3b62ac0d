"""A chunk's geometries as hex EWKB for COPY, with a fast path for plain points.

``encode`` takes the WKB column as read (an Arrow binary array, null for a missing
geometry) and gives what `geometry.prepare` + `geometry.ewkb_hex` would give, row for row.
Points are the case where shapely's per-feature work is all there is (parse, take parts,
build a MultiPoint, write it back), so a row that is a finite little-endian ``Point`` or
``Point Z`` of a ``MultiPoint`` table is written directly: its coordinates are gathered
from the WKB buffer with numpy, reprojected in one array call when needed, and framed in a
fixed EWKB header (``MULTIPOINT`` with the SRID and one part). Every other row (nulls,
empty or non-finite points, other types, big-endian WKB) goes the shapely way, and the
results are merged in row order. A finite point is always valid, so nothing is repaired or
dropped on the fast path. A row with an infinite or NaN coordinate is refused
(`NonFiniteCoordinates`), never handed to GEOS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyproj
import shapely

from handlers.vector.geometry import NonFiniteCoordinates, ewkb_hex, prepare

_SRID_FLAG = 0x20000000
_EWKB_Z = 0x80000000
_MULTIPOINT = 4
# (WKB length, accepted type codes, coordinates per point) for 2D and Z points.
_POINT_KINDS = (
    (21, (1,), 2),
    (29, (1001, _EWKB_Z | 1), 3),
)


@dataclass
class Encoded:
    """Hex EWKB per row (null where the geometry is missing) and what was done to it."""

    hexes: pa.Array
    repaired: int
    dropped_parts: int
    null: int
    fast_rows: int


def encode(
    wkb: pa.Array,
    target: str,
    srid: int,
    transformer: pyproj.Transformer | None,
    *,
    fast: bool = True,
) -> Encoded:
    """Hex EWKB of ``target`` (the table's multi type) in ``srid`` for every row of ``wkb``."""
    wkb = _plain_binary(wkb)
    n = len(wkb)
    fast_parts = _fast_points(wkb, srid, transformer) if fast and target == "MultiPoint" else []
    taken = np.zeros(n, dtype=bool)
    for rows, _ in fast_parts:
        taken[rows] = True
    if len(fast_parts) == 1 and taken.all():
        return Encoded(_fixed_width_strings(fast_parts[0][1]), 0, 0, 0, n)
    out = np.full(n, None, dtype=object)
    for rows, hexes in fast_parts:
        out[rows] = np.char.decode(hexes, "ascii")
    rest = np.flatnonzero(~taken)
    if not len(rest):
        return Encoded(pa.array(out, type=pa.string()), 0, 0, 0, n)
    try:
        slow = prepare(shapely.from_wkb(_objects(wkb, rest)), target, transformer)
    except NonFiniteCoordinates as exc:
        raise NonFiniteCoordinates(rest[exc.rows]) from exc  # rows of the chunk
    out[rest] = ewkb_hex(slow.geometries, srid)
    fast_rows = n - len(rest)
    hexes = pa.array(out, type=pa.string())
    return Encoded(hexes, slow.repaired, slow.dropped_parts, slow.null, fast_rows)


def _plain_binary(wkb: pa.Array) -> pa.Array:
    """A ``binary`` or ``large_binary`` array (geoarrow's WKB extension type unwrapped)."""
    if isinstance(wkb, pa.ChunkedArray):
        wkb = wkb.combine_chunks()
    if isinstance(wkb.type, pa.ExtensionType):
        wkb = wkb.storage
    if not (pa.types.is_binary(wkb.type) or pa.types.is_large_binary(wkb.type)):
        wkb = wkb.cast(pa.binary())
    return wkb


def _objects(wkb: pa.Array, rows: np.ndarray) -> np.ndarray:
    values = wkb.take(pa.array(rows, type=pa.int64())) if len(rows) != len(wkb) else wkb
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)


def _fast_points(
    wkb: pa.Array, srid: int, transformer: pyproj.Transformer | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row numbers, hex EWKB as fixed-width bytes) for each kind of point found."""
    _, offsets_buffer, data_buffer = wkb.buffers()
    if data_buffer is None:
        return []
    offset_type = np.int64 if pa.types.is_large_binary(wkb.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)
    offsets = offsets[wkb.offset : wkb.offset + len(wkb) + 1]
    starts, lengths = offsets[:-1].astype(np.int64), np.diff(offsets)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    present = ~np.asarray(wkb.is_null(), dtype=bool)
    found = []
    for size, codes, dims in _POINT_KINDS:
        rows = np.flatnonzero(present & (lengths == size))
        if not len(rows):
            continue
        records = data[starts[rows, None] + np.arange(size)]
        kind = records[:, 1:5].copy().view("<u4")[:, 0]
        coords = records[:, 5:].copy().view("<f8")
        ok = (records[:, 0] == 1) & np.isin(kind, codes) & np.isfinite(coords).all(axis=1)
        rows, coords = rows[ok], coords[ok]
        if not len(rows):
            continue
        if transformer is not None:
            coords = np.column_stack(transformer.transform(*coords.T))
        found.append((rows, _multipoint_hex(coords, srid, dims)))
    return found


def _multipoint_hex(coords: np.ndarray, srid: int, dims: int) -> np.ndarray:
    """``MULTIPOINT[Z]`` EWKB with the SRID and one part, as shapely writes it, in hex."""
    z = _EWKB_Z if dims == 3 else 0
    header = b"".join(
        [
            b"\x01",
            (_MULTIPOINT | _SRID_FLAG | z).to_bytes(4, "little"),
            int(srid).to_bytes(4, "little"),
            (1).to_bytes(4, "little"),
            b"\x01",
            (1 | z).to_bytes(4, "little"),
        ]
    )
    width = len(header) + 8 * dims
    raw = np.empty((len(coords), width), dtype=np.uint8)
    raw[:, : len(header)] = np.frombuffer(header, dtype=np.uint8)
    raw[:, len(header) :] = np.ascontiguousarray(coords, dtype="<f8").view(np.uint8)
    text = raw.tobytes().hex().upper().encode("ascii")
    return np.frombuffer(text, dtype=f"S{2 * width}")


def _fixed_width_strings(hexes: np.ndarray) -> pa.Array:
    """A string array over the fixed-width bytes, without a Python object per row."""
    width = hexes.dtype.itemsize
    offsets = np.arange(0, (len(hexes) + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(hexes), pa.py_buffer(offsets), pa.py_buffer(hexes.tobytes())
    )
