"""raster_validate: describe a raster in blob storage from its metadata alone."""

from __future__ import annotations

import math
import re

from pydantic import BaseModel
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.errors import CRSError
from rasterio.io import DatasetReader
from rasterio.warp import transform_bounds
from rio_cogeo.cogeo import cog_validate

import wiring
from adapters.blob import BlobRef
from handlers.base import HandlerContext, NonRetryableError, registry
from handlers.raster.gdal import gdal_config, json_number, open_blob_raster
from handlers.raster.models import BlobLocation, CogValidation
from handlers.raster.storage import input_ref, storage_errors

_TIFF_DRIVERS = {"GTiff", "COG"}


class RasterValidateParams(BlobLocation):
    """Where the raster to describe is: ``container`` and ``blob_path``."""


class RasterValidation(BaseModel):
    """What ``raster_validate`` found. ``warnings`` are problems that do not stop ingestion."""

    container: str
    blob_path: str
    size_bytes: int
    driver: str
    width: int
    height: int
    count: int
    dtypes: list[str]
    crs_wkt: str | None
    epsg: int | None
    bounds: tuple[float, float, float, float]
    transform: tuple[float, float, float, float, float, float]
    nodata: list[float | str | None]
    block_shapes: list[tuple[int, int]]
    tiled: bool
    compression: str | None
    overviews: list[int]
    cog: CogValidation
    warnings: list[str]


@registry.register("raster_validate", RasterValidateParams)
def raster_validate(params: RasterValidateParams, ctx: HandlerContext) -> RasterValidation:
    """Describe a raster without downloading it: header, IFDs and tags via HTTP range reads.

    Cost grows with the number of IFDs, not pixels. A blob that is not a raster, or a TIFF
    whose last block lies beyond the end of the blob (truncated), is a NonRetryableError.
    """
    store = wiring.blob_store()
    with storage_errors():
        ref = input_ref(store, params.container, params.blob_path)
        size = store.info(ref).size
        with open_blob_raster(store, ref) as src:
            _check_not_truncated(src, ref, size)
            _check_footprint(src, ref)
            description = _describe(src, params, size)
            cog = _cog_validation(src.name, ref)
    return description.model_copy(update={"cog": cog, "warnings": _warnings(description, cog)})


def _describe(src: DatasetReader, params: RasterValidateParams, size: int) -> RasterValidation:
    crs = src.crs
    return RasterValidation(
        container=params.container,
        blob_path=params.blob_path,
        size_bytes=size,
        driver=src.driver,
        width=src.width,
        height=src.height,
        count=src.count,
        dtypes=list(src.dtypes),
        crs_wkt=crs.to_wkt() if crs else None,
        epsg=crs.to_epsg() if crs else None,
        bounds=tuple(src.bounds),
        transform=tuple(src.transform)[:6],
        nodata=[json_number(v) for v in src.nodatavals],
        block_shapes=[tuple(shape) for shape in src.block_shapes],
        tiled=_is_tiled(src),
        compression=src.compression.value if src.compression else None,
        overviews=src.overviews(1) if src.count else [],
        cog=CogValidation(is_valid=False, errors=[], warnings=[]),
        warnings=[],
    )


def _is_tiled(src: DatasetReader) -> bool:
    """Tiles are narrower than the raster, or square multiples of 16 (TIFF tiles must be);
    strips span the full width."""
    rows, cols = src.block_shapes[0]
    tiled: bool = cols < src.width or (rows == cols and rows % 16 == 0)
    return tiled


def _cog_validation(gdal_path: str, ref: BlobRef) -> CogValidation:
    is_valid, errors, warnings = cog_validate(gdal_path, config=gdal_config(ref.path), quiet=True)
    return CogValidation(is_valid=is_valid, errors=errors, warnings=warnings)


def _warnings(desc: RasterValidation, cog: CogValidation) -> list[str]:
    found = []
    if desc.crs_wkt is None:
        found.append("no CRS: the raster is not georeferenced")
    if all(v is None for v in desc.nodata):
        found.append("no nodata value: empty areas cannot be told from data")
    if not desc.overviews and max(desc.width, desc.height) > 1024:
        found.append("no overviews: zoomed-out reads will decode every pixel")
    if not desc.tiled and max(desc.width, desc.height) > 1024:
        found.append("not tiled: windowed reads fetch whole strips")
    if not cog.is_valid:
        found.append("not a valid Cloud Optimized GeoTIFF: " + "; ".join(cog.errors))
    return found


def _crs_name(crs: CRS) -> str:
    found = re.match(r'\s*\w+\["([^"]*)"', crs.to_wkt())
    return found.group(1) if found else crs.to_string()


def _check_footprint(src: DatasetReader, ref: BlobRef) -> None:
    """A raster whose CRS cannot be placed on the globe (an engineering ``LOCAL_CS``, a
    site grid) cannot get a footprint or a STAC item: refuse it now, before the heavy
    conversion, instead of failing at the catalog step."""
    if src.crs is None:
        return  # no CRS at all is a warning of the description
    try:
        transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    except (CRSError, CPLE_BaseError) as exc:
        raise NonRetryableError(
            f"blob {ref} has the coordinate system '{_crs_name(src.crs)}', a local "
            "(engineering) system with no position on Earth, so it cannot be mapped or "
            "catalogued; reproject the raster to a geographic or projected CRS "
            "(e.g. EPSG:4326 or a UTM zone) and submit it again",
            kind="invalid_raster",
        ) from exc


def _check_not_truncated(src: DatasetReader, ref: BlobRef, size: int) -> None:
    """A TIFF whose last block ends past the end of the blob is truncated.

    GDAL opens such files (the header and IFDs may be intact) and fails only when pixels
    are read; checking the last block of each band's layout costs two tag lookups.
    """
    if src.driver not in _TIFF_DRIVERS:
        return
    rows, cols = src.block_shapes[0]
    last_x = math.ceil(src.width / cols) - 1
    last_y = math.ceil(src.height / rows) - 1
    for bidx in sorted({1, src.count}):
        offset = src.get_tag_item(f"BLOCK_OFFSET_{last_x}_{last_y}", "TIFF", bidx=bidx)
        length = src.get_tag_item(f"BLOCK_SIZE_{last_x}_{last_y}", "TIFF", bidx=bidx)
        # Sparse files leave absent blocks at offset 0: nothing to check for them.
        if offset and length and int(offset) + int(length) > size:
            raise NonRetryableError(
                f"blob {ref} is truncated: its last block ends at byte "
                f"{int(offset) + int(length)} but the blob has {size} bytes",
                kind="truncated_raster",
            )
