"""plan_tiles and cog_tile: the parallel COG path for rasters too big for one worker."""

from __future__ import annotations

import hashlib
import json
import posixpath
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from rasterio.io import DatasetReader
from rasterio.windows import Window as RioWindow
from rasterio.windows import bounds as window_bounds

import wiring
from adapters.blob import BlobRef, BlobStore
from handlers.base import HandlerContext, NonRetryableError, registry
from handlers.raster.cog import COG_MEDIA_TYPE
from handlers.raster.cogwriter import CogOptions, validate_cog, write_cog
from handlers.raster.gdal import gdal_config, open_blob_raster
from handlers.raster.grid import Window, tile_windows
from handlers.raster.models import BlobLocation, CogValidation, StoredBlob, TileWindow
from handlers.raster.storage import input_ref, output_ref, storage_errors, stored_blob
from handlers.raster.vrt import VrtGrid, VrtSource, bands_of, render_vrt


class PlanTilesParams(BlobLocation):
    tile_size: int = Field(default=8192, ge=256, le=65536)

    @field_validator("tile_size")
    @classmethod
    def _whole_blocks(cls, value: int) -> int:
        # Tiles aligned on 256-pixel blocks never split a source block of 256 or 512 pixels
        # (the usual sizes) between two tile workers.
        if value % 256:
            raise ValueError(f"tile_size must be a multiple of 256, got {value}")
        return value


class TilePlan(BaseModel):
    container: str
    blob_path: str
    width: int
    height: int
    tile_size: int
    tiles: list[TileWindow]


@registry.register("plan_tiles", PlanTilesParams)
def plan_tiles(params: PlanTilesParams, ctx: HandlerContext) -> TilePlan:
    """Split the raster into row-major tiles of ``tile_size`` pixels (edges may be smaller).

    ``tiles`` is meant as a fan-out list: each item is the ``tile`` param of ``cog_tile``.
    """
    store = wiring.blob_store()
    with storage_errors():
        ref = input_ref(store, params.container, params.blob_path)
        with open_blob_raster(store, ref) as src:
            tiles = [_tile(src, i, w) for i, w in enumerate(_windows(src, params.tile_size))]
            width, height = src.width, src.height
    return TilePlan(
        container=params.container,
        blob_path=params.blob_path,
        width=width,
        height=height,
        tile_size=params.tile_size,
        tiles=tiles,
    )


def _windows(src: DatasetReader, tile_size: int) -> list[Window]:
    return tile_windows(src.width, src.height, tile_size)


def _tile(src: DatasetReader, index: int, w: Window) -> TileWindow:
    rio_window = RioWindow(w.col_off, w.row_off, w.width, w.height)
    bounds = window_bounds(rio_window, src.transform) if src.crs else None
    return TileWindow(
        index=index,
        col_off=w.col_off,
        row_off=w.row_off,
        width=w.width,
        height=w.height,
        bounds=bounds,
    )


class CogTileParams(BlobLocation, CogOptions):
    tile: TileWindow
    output_container: str = Field(min_length=3, max_length=63)
    output_prefix: str = Field(min_length=1, max_length=900)


class CogTileResult(BaseModel):
    """One converted tile; a list of these is the input of ``mosaic``."""

    tile: TileWindow
    output: StoredBlob
    validation: CogValidation
    resumed: bool = Field(
        default=False, description="true if an earlier attempt had already uploaded it"
    )


@registry.register("cog_tile", CogTileParams)
def cog_tile(params: CogTileParams, ctx: HandlerContext) -> CogTileResult:
    """Convert one tile window of the source to its own COG at ``<prefix>/tile_<index>.tif``.

    Only the window's blocks are read, over HTTP range reads through a window VRT: a tile
    worker never downloads the whole source. A tile is one small unit of work, so its
    checkpoint is a completion record: after the upload it saves the source ETag, a hash of
    the params and the output ETag; a retry that finds all three unchanged returns that
    result without converting again. Otherwise a retry overwrites the same blob.
    """
    store = wiring.blob_store()
    with storage_errors():
        src = input_ref(store, params.container, params.blob_path)
        dst = output_ref(
            store, params.output_container, tile_blob_path(params.output_prefix, params.tile)
        )
        done = {"source_etag": store.info(src).etag, "params_sha256": _fingerprint(params)}
        resumed = _resume(store, dst, params, done, ctx)
        if resumed is not None:
            return resumed
        with tempfile.TemporaryDirectory(prefix="cog_tile-") as scratch:
            local = _convert_tile(store, src, params, Path(scratch))
            validation = validate_cog(local)
            store.upload_file(dst, local, content_type=COG_MEDIA_TYPE)
        output, output_etag = stored_blob(store, dst)
    ctx.save_checkpoint(
        {**done, "output_etag": output_etag, "validation": validation.model_dump(mode="json")}
    )
    ctx.report_progress(100, f"tile {params.tile.index} done")
    return CogTileResult(tile=params.tile, output=output, validation=validation)


def _fingerprint(params: CogTileParams) -> str:
    canonical = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _resume(
    store: BlobStore, dst: BlobRef, params: CogTileParams, done: dict[str, str], ctx: HandlerContext
) -> CogTileResult | None:
    """The earlier attempt's result if it uploaded this tile from the same source and params
    and nobody has replaced the blob since."""
    saved = ctx.checkpoint
    if not saved or any(saved.get(key) != value for key, value in done.items()):
        return None
    if not store.exists(dst):
        return None
    output, output_etag = stored_blob(store, dst)
    if output_etag != saved.get("output_etag"):
        return None
    ctx.report_progress(100, f"tile {params.tile.index} already uploaded")
    validation = CogValidation.model_validate(saved["validation"])
    return CogTileResult(tile=params.tile, output=output, validation=validation, resumed=True)


def tile_blob_path(prefix: str, tile: TileWindow) -> str:
    return posixpath.join(prefix.rstrip("/"), f"tile_{tile.index:06d}.tif")


def _convert_tile(store: BlobStore, src: BlobRef, params: CogTileParams, scratch: Path) -> Path:
    t = params.tile
    window = Window(t.col_off, t.row_off, t.width, t.height)
    with open_blob_raster(store, src) as dataset:
        _check_inside(dataset, window, src)
        rio_window = RioWindow(t.col_off, t.row_off, t.width, t.height)
        grid = VrtGrid(
            t.width,
            t.height,
            dataset.crs.to_wkt() if dataset.crs else None,
            dataset.window_transform(rio_window),
        )
        source = VrtSource(dataset.name, False, window, Window(0, 0, t.width, t.height))
        vrt_xml = render_vrt(grid, bands_of(dataset), [source])
    vrt_path = scratch / "tile.vrt"
    vrt_path.write_text(vrt_xml)
    local = scratch / "tile.tif"
    write_cog(str(vrt_path), local, params, **gdal_config(src.path))
    return local


def _check_inside(dataset: DatasetReader, w: Window, ref: BlobRef) -> None:
    if w.col_off + w.width > dataset.width or w.row_off + w.height > dataset.height:
        raise NonRetryableError(
            f"tile {w} lies outside blob {ref} ({dataset.width}x{dataset.height} pixels)",
            kind="invalid_tile",
        )
