"""publish_asset and unpublish_asset: an asset's public copy, and nothing else.

Publishing copies the files of a version's STAC item (its COG, or its mosaic VRT with the
tiles it names) into the public container (`config.settings.PublishSettings`) under
``<asset_id>/v<ordinal>/<source container>/<source path>``, so a mosaic's relative sources
still resolve, and registers a public STAC item in the public collection of the catalog's
STAC index: the version's item with id ``asset_id`` (one public item per asset) and hrefs
pointing at the public copies. Publishing a newer version replaces the public item and
removes the previous version's public copies.

A vector version has no files to copy: its public item points at a stable view over the
version's table instead (`handlers.vector.publish`). Unpublishing removes exactly what the
public item lists in the public container (and a vector asset's view), the public item's
JSON and its index row. Both run again safely: each step overwrites, or ignores what is
already gone.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field

import wiring
from adapters.blob import BlobNotFound, BlobRef, BlobStore, InvalidBlobRef
from adapters.catalog.models import StacItemRecord
from config.settings import PublishSettings
from handlers.base import HandlerContext, NonRetryableError, RetryableError, registry
from handlers.raster.stac import STAC_MEDIA_TYPE, item_record
from handlers.raster.storage import storage_errors
from handlers.raster.vrt_blob import is_vrt, vrt_sources
from handlers.vector.publish import publish_table, unpublish_table

_ID = r"^[A-Za-z0-9._-]{1,256}$"
PUBLIC_ITEM_BLOB = "item.stac.json"
_T = TypeVar("_T")


class PublishParams(BaseModel):
    asset_id: str = Field(pattern=_ID)
    version_ordinal: int = Field(ge=1)
    stac_collection: str = Field(pattern=_ID, description="the version's own item")
    stac_item_id: str = Field(pattern=_ID)


class UnpublishParams(BaseModel):
    asset_id: str = Field(pattern=_ID)


class PublishResult(BaseModel):
    collection: str
    item_id: str
    item_href: str
    copied: list[str] = Field(description="URLs of the public copies")
    removed: list[str] = Field(description="public copies of an earlier version, removed")
    view: str | None = Field(default=None, description="a vector version's public view")


class UnpublishResult(BaseModel):
    collection: str
    item_id: str
    removed: list[str]
    was_public: bool
    view_dropped: bool = False


@registry.register("publish_asset", PublishParams)
def publish_asset(params: PublishParams, ctx: HandlerContext) -> PublishResult:
    settings = PublishSettings.from_env()
    store = wiring.blob_store()
    source = _catalog_call(
        lambda: wiring.stac_catalog().get_item(params.stac_collection, params.stac_item_id)
    )
    if source is None:
        raise NonRetryableError(
            f"STAC item {params.stac_collection}/{params.stac_item_id} of asset "
            f"{params.asset_id} version {params.version_ordinal} is not in the STAC index",
            kind="stac_item_not_found",
        )
    previous = _public_record(params.asset_id, settings)
    prefix = f"{params.asset_id}/v{params.version_ordinal}"
    with storage_errors():
        item, copies = _public_item(store, source.item, settings, prefix, params.asset_id)
        view = publish_table(item, params.asset_id, params.version_ordinal)
        if view is None:  # a raster version replacing a vector one: its view goes
            unpublish_table(previous.item if previous else None, params.asset_id)
        item_ref = store.ref(settings.container, f"{params.asset_id}/{PUBLIC_ITEM_BLOB}")
        item["links"] = [{"rel": "self", "href": store.url(item_ref), "type": STAC_MEDIA_TYPE}]
        store.upload_bytes(item_ref, json.dumps(item).encode(), STAC_MEDIA_TYPE)
    record = item_record(item, store.url(item_ref), ctx.job_id, ctx.node_id)
    _catalog_call(lambda: wiring.stac_catalog().upsert_item(record))
    kept = {store.url(ref) for ref in copies}
    stale = [r for r in _public_copies(store, previous, settings) if store.url(r) not in kept]
    removed = _delete_all(store, stale)
    return PublishResult(
        collection=settings.collection,
        item_id=params.asset_id,
        item_href=store.url(item_ref),
        copied=sorted(kept),
        removed=removed,
        view=view,
    )


@registry.register("unpublish_asset", UnpublishParams)
def unpublish_asset(params: UnpublishParams, ctx: HandlerContext) -> UnpublishResult:
    settings = PublishSettings.from_env()
    store = wiring.blob_store()
    record = _public_record(params.asset_id, settings)
    view_dropped = unpublish_table(record.item if record else None, params.asset_id)
    with storage_errors():
        item_ref = store.ref(settings.container, f"{params.asset_id}/{PUBLIC_ITEM_BLOB}")
    removed = _delete_all(store, [*_public_copies(store, record, settings), item_ref])
    # The row goes last: until it is gone, a retry still knows what to remove.
    _catalog_call(lambda: wiring.stac_catalog().delete_item(settings.collection, params.asset_id))
    return UnpublishResult(
        collection=settings.collection,
        item_id=params.asset_id,
        removed=removed,
        was_public=record is not None,
        view_dropped=view_dropped,
    )


def _public_item(
    store: BlobStore, item: dict[str, Any], settings: PublishSettings, prefix: str, item_id: str
) -> tuple[dict[str, Any], list[BlobRef]]:
    """The public item (a copy of ``item``) and the public copies made for it."""
    public = json.loads(json.dumps(item))
    public["id"] = item_id
    public["collection"] = settings.collection
    public["properties"]["dagmaster:source_item"] = f"{item.get('collection')}/{item.get('id')}"
    copies: list[BlobRef] = []
    for asset in public.get("assets", {}).values():
        source = _own_blob(store, asset.get("href"))
        if source is None:
            continue  # not one of ours (an external link): left as it is
        files = [source, *(vrt_sources(store, source) if is_vrt(source) else [])]
        for ref in files:
            target = store.ref(settings.container, f"{prefix}/{ref.container}/{ref.path}")
            store.copy(ref, target)
            copies.append(target)
        asset["href"] = store.url(copies[-len(files)])
    return public, copies


def _own_blob(store: BlobStore, href: object) -> BlobRef | None:
    if not isinstance(href, str):
        return None
    try:
        return store.ref_from_url(href)
    except InvalidBlobRef:
        return None


def _public_record(asset_id: str, settings: PublishSettings) -> StacItemRecord | None:
    return _catalog_call(lambda: wiring.stac_catalog().get_item(settings.collection, asset_id))


def _public_copies(
    store: BlobStore, record: StacItemRecord | None, settings: PublishSettings
) -> list[BlobRef]:
    """The public blobs a public item names: its assets and, for a mosaic, its tiles."""
    if record is None:
        return []
    found: list[BlobRef] = []
    assets = record.item.get("assets")
    for asset in assets.values() if isinstance(assets, dict) else ():
        ref = _own_blob(store, asset.get("href") if isinstance(asset, dict) else None)
        if ref is None or ref.container != settings.container:
            continue  # never remove anything outside the public container
        found.append(ref)
        if is_vrt(ref):
            with storage_errors(), contextlib.suppress(BlobNotFound):  # a half-removed copy
                found += [t for t in vrt_sources(store, ref) if t.container == ref.container]
    return found


def _delete_all(store: BlobStore, refs: list[BlobRef]) -> list[str]:
    """Delete each blob (sources of a VRT before the VRT); those already gone are skipped."""
    removed: list[str] = []
    for ref in reversed(refs):
        with storage_errors():
            try:
                store.delete(ref)
            except BlobNotFound:
                continue
        removed.append(store.url(ref))
    return sorted(removed)


def _catalog_call(call: Callable[[], _T]) -> _T:
    import psycopg

    from adapters.catalog import CatalogError

    try:
        return call()
    except (CatalogError, psycopg.Error) as exc:
        raise RetryableError(f"STAC index unavailable: {exc}", kind="catalog_unavailable") from exc
