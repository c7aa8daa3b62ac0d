"""The STAC Collection document behind a vector item's ``collection`` link.

Stored as ``collections/<collection>.json`` in the item's output container (the item's
link points at it), built with pystac and validated offline like the raster mosaic's
collection (`handlers.raster.collection`). Its extent covers the collection's items: with
the STAC index configured (`handlers.raster.stac_index`), the union of the indexed items,
computed under a per-collection lock and upserted into the catalog's ``stac_collections``;
without an index, the stored document's extent widened by the new item.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pystac

from adapters.blob import BlobNotFound, BlobRef, BlobStore
from adapters.catalog.models import CollectionExtent
from handlers.raster.collection import COLLECTION_MEDIA_TYPE
from handlers.raster.stac import validate_stac
from handlers.raster.stac_index import stac_index
from handlers.raster.storage import output_ref

DESCRIPTION = "Vector data loaded into PostGIS tables by dagmaster's vector_ingest."


def collection_ref(store: BlobStore, container: str, collection: str) -> BlobRef:
    return output_ref(store, container, f"collections/{collection}.json")


def register_collection(
    store: BlobStore, ref: BlobRef, collection: str, item: dict[str, Any]
) -> dict[str, Any]:
    """Write (and index, when configured) the collection's document with ``item`` in its
    extent; the document. Call after ``item`` is indexed."""
    href = store.url(ref)
    index = stac_index()
    if index is not None:
        record = index.upsert_collection(
            collection, lambda extent: build(collection, extent or item_extent(item), href), href
        )
        document: dict[str, Any] = dict(record.document)
    else:
        document = build(collection, _widened(_stored(store, ref), item_extent(item)), href)
    store.upload_bytes(ref, json.dumps(document).encode(), COLLECTION_MEDIA_TYPE)
    return document


def build(collection: str, extent: CollectionExtent, href: str) -> dict[str, Any]:
    """The Collection document, validated."""
    document = pystac.Collection(
        id=collection,
        description=DESCRIPTION,
        license="other",
        extent=pystac.Extent(
            pystac.SpatialExtent([list(extent.bbox)]),
            pystac.TemporalExtent([[extent.start, extent.end]]),
        ),
    )
    document.set_self_href(href)
    out = document.to_dict(include_self_link=True, transform_hrefs=False)
    validate_stac(out, f"the STAC Collection {collection}", kind="invalid_stac_collection")
    return out


def item_extent(item: dict[str, Any]) -> CollectionExtent:
    west, south, east, north = item["bbox"]  # a vector item's bbox is 2D
    when = _time(item["properties"].get("datetime"))
    return CollectionExtent(bbox=(west, south, east, north), start=when, end=when)


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _stored(store: BlobStore, ref: BlobRef) -> CollectionExtent | None:
    try:
        document = json.loads(store.download_bytes(ref))
        bbox = document["extent"]["spatial"]["bbox"][0]
        start, end = document["extent"]["temporal"]["interval"][0]
    except (BlobNotFound, ValueError, KeyError, IndexError, TypeError):
        return None  # none yet, or not one of ours: written anew
    return CollectionExtent(bbox=tuple(bbox), start=_time(start), end=_time(end))


def _widened(stored: CollectionExtent | None, new: CollectionExtent) -> CollectionExtent:
    if stored is None:
        return new
    a, b = stored.bbox, new.bbox
    times = [t for t in (stored.start, stored.end, new.start, new.end) if t is not None]
    return CollectionExtent(
        bbox=(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])),
        start=min(times) if times else None,
        end=max(times) if times else None,
    )
