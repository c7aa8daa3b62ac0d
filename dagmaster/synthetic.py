"""Synthetic rasters for tests and benchmarks (the demo writes its own, smaller one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

BLOCK = 512


def write_sparse_raster(path: Path, size: int, pixel_size: float = 1.0) -> Path:
    """A ``size`` x ``size`` single-band uint8 BigTIFF (UTM 33N, nodata 0) holding one real
    512 x 512 block; every other block is an empty tile table entry (SPARSE_OK), so the
    file stays small whatever ``size`` is. For timing metadata reads on huge rasters."""
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS.from_epsg(32633),
        "transform": from_origin(500_000, 5_000_000, pixel_size, pixel_size),
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "sparse_ok": True,
        "BIGTIFF": "YES",
        "nodata": 0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        # One real block, so the file is a raster with data, not only tables.
        dst.write(np.full((1, BLOCK, BLOCK), 7, np.uint8), window=Window(0, 0, BLOCK, BLOCK))
    return path
