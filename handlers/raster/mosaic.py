"""mosaic: one VRT and/or a STAC Collection over the tile COGs written by cog_tile."""

from __future__ import annotations

import json
import posixpath
import re
from datetime import UTC, datetime
from typing import Literal

from affine import Affine
from pydantic import AwareDatetime, BaseModel, Field

import wiring
from adapters.blob import BlobRef, BlobStore
from handlers.base import HandlerContext, NonRetryableError, registry
from handlers.raster.collection import COLLECTION_MEDIA_TYPE, CollectionSpec, build_collection
from handlers.raster.gdal import open_blob_raster
from handlers.raster.grid import Window, cover_problems
from handlers.raster.models import StoredBlob
from handlers.raster.stac import validate_stac
from handlers.raster.storage import input_ref, output_ref, storage_errors, stored_blob
from handlers.raster.tiles import CogTileResult
from handlers.raster.vrt import VrtBand, VrtGrid, VrtSource, bands_of, render_vrt

VRT_MEDIA_TYPE = "application/xml"


class MosaicParams(BaseModel):
    tiles: list[CogTileResult] = Field(min_length=1)
    output_container: str = Field(min_length=3, max_length=63)
    output_path: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"\.vrt$",
        description="the VRT; the collection is <path without .vrt>.collection.json",
    )
    format: Literal["vrt", "stac", "both"] = "both"
    collection_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,256}$",
        description="None: output_path without .vrt, '/' and other characters as '-'",
    )
    description: str = "Tiles of a raster converted to Cloud Optimized GeoTIFFs."
    license: str = Field(default="other", min_length=1)
    datetime: AwareDatetime | None = Field(
        default=None, description="the collection's temporal extent; None: now"
    )


class MosaicResult(BaseModel):
    output: StoredBlob | None = Field(description="the VRT (None with format 'stac')")
    collection: StoredBlob | None = Field(description="the STAC Collection (None with 'vrt')")
    width: int
    height: int
    tile_count: int


@registry.register("mosaic", MosaicParams)
def mosaic(params: MosaicParams, ctx: HandlerContext) -> MosaicResult:
    """Write a VRT that presents the tile COGs as the original raster, and/or a STAC
    Collection over them (``format``: vrt, stac or both; default both).

    Tiles must be in ``output_container`` and cover their grid exactly once. Their paths in
    the VRT are relative to it and carry no credentials, so the VRT works wherever it and
    the tiles are read together: ``/vsiaz/``, a download, or a copy. Band layout, CRS and
    geotransform come from the first tile; the grid's origin is that tile's minus its offset.
    The collection (validated offline with stac-validator) has one asset per tile COG and
    the VRT, and the union of the tiles' WGS84 bboxes as its extent; it needs a CRS.
    """
    tiles = sorted(params.tiles, key=lambda t: t.tile.index)
    width, height = _check_cover(tiles)
    store = wiring.blob_store()
    vrt = collection = None
    with storage_errors():
        out = output_ref(store, params.output_container, params.output_path)
        for t in tiles:
            # rejects foreign containers or accounts, and bad paths
            input_ref(store, t.output.container, t.output.blob_path, "tiles")
        _require_same_container(tiles, params.output_container)
        grid, bands = _layout(store, tiles[0], width, height)
        if params.format in ("vrt", "both"):
            sources = [_source(t, posixpath.dirname(out.path)) for t in tiles]
            store.upload_bytes(out, render_vrt(grid, bands, sources).encode(), VRT_MEDIA_TYPE)
            vrt, _ = stored_blob(store, out)
        if params.format in ("stac", "both"):
            collection = _write_collection(store, out, params, grid, tiles, vrt)
    return MosaicResult(
        output=vrt, collection=collection, width=width, height=height, tile_count=len(tiles)
    )


def _write_collection(
    store: BlobStore,
    vrt_ref: BlobRef,
    params: MosaicParams,
    grid: VrtGrid,
    tiles: list[CogTileResult],
    vrt: StoredBlob | None,
) -> StoredBlob:
    if grid.crs_wkt is None:
        raise NonRetryableError(
            f"tile {tiles[0].output.blob_path} has no CRS: a STAC Collection needs "
            "georeferenced tiles (use format: vrt)",
            kind="not_georeferenced",
        )
    stem = params.output_path.removesuffix(".vrt")
    ref = vrt_ref.sibling(stem + ".collection.json")
    spec = CollectionSpec(
        collection_id=params.collection_id or re.sub(r"[^A-Za-z0-9._-]", "-", stem)[:256],
        description=params.description,
        license=params.license,
        when=params.datetime or datetime.now(UTC),
        vrt=vrt,
    )
    collection = build_collection(spec, grid, tiles)
    collection.set_self_href(store.url(ref))
    document = collection.to_dict(include_self_link=True, transform_hrefs=False)
    validate_stac(document, f"the STAC Collection for {ref}", kind="invalid_stac_collection")
    store.upload_bytes(ref, json.dumps(document).encode(), COLLECTION_MEDIA_TYPE)
    return stored_blob(store, ref)[0]


def _window(t: CogTileResult) -> Window:
    return Window(t.tile.col_off, t.tile.row_off, t.tile.width, t.tile.height)


def _check_cover(tiles: list[CogTileResult]) -> tuple[int, int]:
    windows = [_window(t) for t in tiles]
    width = max(w.col_off + w.width for w in windows)
    height = max(w.row_off + w.height for w in windows)
    problems = cover_problems(windows, width, height)
    if problems:
        raise NonRetryableError(
            f"the {len(tiles)} tiles do not form a mosaic: {'; '.join(problems)}",
            kind="invalid_mosaic",
        )
    return width, height


def _require_same_container(tiles: list[CogTileResult], container: str) -> None:
    elsewhere = sorted({t.output.container for t in tiles} - {container})
    if elsewhere:
        raise NonRetryableError(
            f"tiles in containers {elsewhere} cannot be referenced by a VRT in {container!r}",
            kind="invalid_mosaic",
        )


def _layout(
    store: BlobStore, first: CogTileResult, width: int, height: int
) -> tuple[VrtGrid, list[VrtBand]]:
    ref = store.ref(first.output.container, first.output.blob_path)
    with open_blob_raster(store, ref) as src:
        origin = src.transform @ Affine.translation(-first.tile.col_off, -first.tile.row_off)
        grid = VrtGrid(width, height, src.crs.to_wkt() if src.crs else None, origin)
        return grid, bands_of(src)


def _source(t: CogTileResult, vrt_dir: str) -> VrtSource:
    w = _window(t)
    relative = posixpath.relpath(t.output.blob_path, vrt_dir or ".")
    return VrtSource(relative, True, Window(0, 0, w.width, w.height), w)
