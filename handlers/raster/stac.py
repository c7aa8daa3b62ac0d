"""stac_item: a validated STAC Item for a raster (normally a COG), stored next to it as JSON."""

from __future__ import annotations

import json
import math
import posixpath
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy
import pystac
from pydantic import AwareDatetime, BaseModel, Field
from rasterio.io import DatasetReader
from rio_cogeo.cogeo import cog_validate
from rio_stac import create_stac_item
from stac_validator.validate import StacValidate

import wiring
from adapters.blob import BlobRef, BlobStore
from adapters.catalog.models import StacItemRecord
from handlers.base import HandlerContext, NonRetryableError, registry
from handlers.raster.gdal import gdal_config, open_blob_raster
from handlers.raster.models import BlobLocation, StoredBlob
from handlers.raster.stac_index import stac_index
from handlers.raster.storage import output_ref, storage_errors, stored_blob
from handlers.raster.vrt_blob import is_vrt, open_blob_vrt

STAC_MEDIA_TYPE = "application/geo+json"
VRT_MEDIA_TYPE = "application/xml"  # GDAL's VRT has no registered media type of its own
_STAC_SPEC = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema"
_EXTENSIONS = "https://stac-extensions.github.io"
# rio-stac computes band statistics on a read decimated to at most this many pixels a side.
_STATS_MAX_SIZE = 1024


class StacItemParams(BlobLocation):
    item_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,256}$")
    collection: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,256}$")
    properties: dict[str, Any] = Field(default_factory=dict)
    datetime: AwareDatetime | None = Field(
        default=None, description="acquisition time; None: the file's tags, else now"
    )


class StacItemResult(BaseModel):
    item: dict[str, Any]
    item_blob: StoredBlob
    indexed: bool = Field(description="upserted into the STAC index (see stac_index.py)")


@registry.register("stac_item", StacItemParams)
def stac_item(params: StacItemParams, ctx: HandlerContext) -> StacItemResult:
    """Build a STAC Item (proj + raster extensions) for the raster, validate it offline, and
    store it as ``<blob path without suffix>.stac.json`` in the same container.

    The asset's href is the blob's unsigned URL; readers bring their own credentials. A
    raster without a CRS cannot have a geometry: NonRetryableError. When a STAC index is
    configured (DAGMASTER_STAC_INDEX), an item with a collection is then upserted into it,
    keyed by (collection, item id), so a retry updates the same row.
    """
    store = wiring.blob_store()
    with storage_errors():
        # The item is written beside the raster: the container must be an output container.
        ref = output_ref(store, params.container, params.blob_path, "container")
        item_ref = ref.sibling(posixpath.splitext(ref.path)[0] + ".stac.json")
        opener = open_blob_vrt if is_vrt(ref) else open_blob_raster  # a tiled mosaic, or one COG
        with opener(store, ref) as src:
            item = _build_item(src, store, ref, params)
        item.set_self_href(store.url(item_ref))
        item_dict = item.to_dict(transform_hrefs=False)
        _validate(item_dict, ref)
        store.upload_bytes(item_ref, json.dumps(item_dict).encode(), STAC_MEDIA_TYPE)
        stored, _ = stored_blob(store, item_ref)
    indexed = _index(item_dict, stored, ctx)
    return StacItemResult(item=item_dict, item_blob=stored, indexed=indexed)


def _index(item: dict[str, Any], stored: StoredBlob, ctx: HandlerContext) -> bool:
    index = stac_index()
    if index is None or not item.get("collection"):
        return False
    index.upsert_item(item_record(item, stored.url, ctx.job_id, ctx.node_id))
    return True


def item_record(
    item: dict[str, Any], href: str, job_id: str | None, node_id: str | None
) -> StacItemRecord:
    """The index row of a STAC Item dict (2D bbox; a 3D one loses its heights)."""
    bbox = item["bbox"]
    if len(bbox) == 6:  # [west, south, bottom, east, north, top]
        bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
    props = item["properties"]
    when = props.get("datetime") or props.get("start_datetime")
    return StacItemRecord(
        collection=item["collection"],
        item_id=item["id"],
        job_id=job_id,
        node_id=node_id,
        bbox=tuple(bbox),
        geometry=item["geometry"],
        datetime=when,
        item=item,
        href=href,
    )


def _build_item(
    src: DatasetReader, store: BlobStore, ref: BlobRef, params: StacItemParams
) -> pystac.Item:
    if src.crs is None:
        raise NonRetryableError(
            f"blob {ref} has no CRS: a STAC Item needs a georeferenced raster",
            kind="not_georeferenced",
        )
    item: pystac.Item = create_stac_item(
        src,
        input_datetime=params.datetime,
        id=params.item_id or Path(ref.path).stem,
        collection=params.collection,
        properties=params.properties or None,
        asset_name="data",
        asset_roles=["data"],
        asset_media_type=_media_type(src.name, ref),
        asset_href=store.url(ref),
        with_proj=True,
        with_raster=True,
        # Densify the footprint so a reprojected edge stays close to the true curve.
        geom_densify_pts=21,
        geom_precision=7,
        raster_max_size=_STATS_MAX_SIZE,
    )
    _set_valid_percents(item.assets["data"], valid_percents(src))
    return item


def valid_percents(src: DatasetReader, max_size: int = _STATS_MAX_SIZE) -> list[float]:
    """The percentage of valid (unmasked, finite) pixels of each band, from a read decimated
    to ``max_size`` pixels a side like rio-stac's statistics."""
    scale = min(1.0, max_size / max(src.width, src.height))
    shape = (src.count, math.ceil(src.height * scale), math.ceil(src.width * scale))
    data = numpy.ma.fix_invalid(src.read(out_shape=shape, masked=True))
    valid = ~numpy.ma.getmaskarray(data)
    return [float(band.mean() * 100) for band in valid]


def _set_valid_percents(asset: pystac.Asset, percents: list[float]) -> None:
    """Replace rio-stac's ``valid_percent``, wrong for a band without masked pixels.

    rio-stac 0.12 counts ``~arr.mask`` but a masked array without masked pixels carries the
    scalar ``nomask``: the count is 1, and a fully valid 1024x1024 band reads 100 / 1024^2 %
    (9.5e-05) instead of 100.
    """
    for band, percent in zip(asset.extra_fields["raster:bands"], percents, strict=True):
        band["statistics"]["valid_percent"] = percent


def _media_type(gdal_path: str, ref: BlobRef) -> str:
    if is_vrt(ref):
        return VRT_MEDIA_TYPE
    is_cog, _, _ = cog_validate(gdal_path, config=gdal_config(ref.path), quiet=True)
    return str(pystac.MediaType.COG if is_cog else pystac.MediaType.GEOTIFF)


def _validate(item: dict[str, Any], ref: BlobRef) -> None:
    validate_stac(item, f"the STAC Item built for blob {ref}", kind="invalid_stac_item")


def validate_stac(document: dict[str, Any], what: str, kind: str) -> None:
    """Validate with stac-validator against local schemas only (no network).

    stac-validator would fetch the core and extension schemas over HTTPS; its ``schema_map``
    redirects each URL to a local file: pystac's bundled STAC 1.1.0 and GeoJSON schemas, and
    our own extension schemas (see schemas/README.md). Invalid: NonRetryableError ``kind``.
    """
    validator = StacValidate(schema_map=local_schema_map())
    if not validator.validate_dict(document):
        raise NonRetryableError(f"{what} is invalid: {validator.message}", kind=kind)


@cache
def local_schema_map() -> dict[str, str]:
    """Schema URL -> local file, for every schema a proj+raster Item or a Collection refers
    to."""
    bundled = files("pystac.validation") / "jsonschemas"
    ours = Path(__file__).with_name("schemas")
    names = (
        "item",
        "basics",
        "bands",
        "common",
        "data-values",
        "datetime",
        "instrument",
        "licensing",
        "provider",
    )
    mapping = {f"{_STAC_SPEC}/{n}.json": str(bundled / f"stac-spec/v1.1.0/{n}.json") for n in names}
    collection = "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json"
    mapping[collection] = str(bundled / "stac-spec/v1.1.0/collection.json")
    for name in ("Feature", "Geometry"):
        mapping[f"https://geojson.org/schema/{name}.json"] = str(bundled / f"geojson/{name}.json")
    for ext in ("projection-v1.1.0", "raster-v1.1.0", "table-v1.2.0"):
        name, version = ext.rsplit("-", 1)
        mapping[f"{_EXTENSIONS}/{name}/{version}/schema.json"] = str(ours / f"{ext}.json")
    return mapping
