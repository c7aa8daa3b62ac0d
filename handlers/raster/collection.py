"""A STAC Collection over the tile COGs of a mosaic (and its VRT), built with pystac."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pystac
from rasterio.warp import transform_bounds
from rasterio.windows import Window as RioWindow
from rasterio.windows import bounds as window_bounds

from handlers.raster.models import StoredBlob
from handlers.raster.tiles import CogTileResult
from handlers.raster.vrt import VrtGrid

COLLECTION_MEDIA_TYPE = "application/json"
_WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class CollectionSpec:
    """What the collection says besides its tiles: id, texts, time, and the VRT if any."""

    collection_id: str
    description: str
    license: str
    when: datetime
    vrt: StoredBlob | None


def tile_bboxes(grid: VrtGrid, tiles: Sequence[CogTileResult]) -> list[list[float]]:
    """Each tile's WGS84 bbox, from its window on the mosaic grid (edges densified)."""
    assert grid.crs_wkt is not None
    bboxes = []
    for t in tiles:
        w = t.tile
        window = RioWindow(w.col_off, w.row_off, w.width, w.height)
        native = window_bounds(window, grid.transform)
        bboxes.append(list(transform_bounds(grid.crs_wkt, _WGS84, *native, densify_pts=21)))
    return bboxes


def build_collection(
    spec: CollectionSpec, grid: VrtGrid, tiles: Sequence[CogTileResult]
) -> pystac.Collection:
    """A Collection whose spatial extent is the union of the tiles' bboxes, with one data
    asset per tile COG (``tile_<index>``) and the VRT as a ``mosaic`` asset."""
    bboxes = tile_bboxes(grid, tiles)
    union = [
        min(b[0] for b in bboxes),
        min(b[1] for b in bboxes),
        max(b[2] for b in bboxes),
        max(b[3] for b in bboxes),
    ]
    collection = pystac.Collection(
        id=spec.collection_id,
        description=spec.description,
        license=spec.license,
        extent=pystac.Extent(
            pystac.SpatialExtent([union]), pystac.TemporalExtent([[spec.when, spec.when]])
        ),
    )
    for t in tiles:
        collection.add_asset(
            f"tile_{t.tile.index:06d}",
            pystac.Asset(
                t.output.url,
                media_type=pystac.MediaType.COG,
                roles=["data"],
                title=f"tile {t.tile.index}",
            ),
        )
    if spec.vrt is not None:
        collection.add_asset(
            "mosaic", pystac.Asset(spec.vrt.url, media_type="application/xml", roles=["mosaic"])
        )
    return collection
