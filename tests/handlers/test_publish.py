"""publish_asset / unpublish_asset on the session's Azurite and a fresh catalog schema."""

from collections.abc import Iterator

import pytest

import handlers  # noqa: F401  (registers the publish handlers)
import wiring
from adapters.blob import BlobStore
from adapters.catalog import StacCatalog, close_pool
from handlers.base import LocalContext, NonRetryableError
from handlers.raster.stac_index import ENV_STAC_INDEX
from handlers.raster.vrt_blob import vrt_sources
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import run

PUBLIC = "public-test"
COLLECTION = "public-items"
ASSET = "ddh-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def cog(small_rgb) -> dict[str, str]:
    params = {**small_rgb, "output_container": OUTPUTS, "blocksize": 128}
    run("create_cog", {**params, "output_path": "publish/v1.tif"})
    run("create_cog", {**params, "output_path": "publish/v2.tif"})
    return {"container": OUTPUTS, "blob_path": "publish/v1.tif"}


@pytest.fixture
def index(store, catalog_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[StacCatalog]:
    monkeypatch.setenv("DATABASE_URL", catalog_db.url)
    monkeypatch.setenv(ENV_STAC_INDEX, "catalog")
    monkeypatch.setenv("DAGMASTER_PUBLIC_CONTAINER", PUBLIC)
    monkeypatch.setenv("DAGMASTER_PUBLIC_STAC_COLLECTION", COLLECTION)
    close_pool()
    wiring.reset()
    for name in _public_blobs(store):  # each test starts with an empty public container
        store.delete(store.ref(PUBLIC, name))
    yield StacCatalog(catalog_db.pool)
    close_pool()
    wiring.reset()


@pytest.fixture
def versions(cog, index) -> dict[int, dict[str, str]]:
    """Two versions' STAC items in the ingest collection, as raster_ingest indexes them."""
    for ordinal in (1, 2):
        params = {"container": OUTPUTS, "blob_path": f"publish/v{ordinal}.tif"}
        run("stac_item", {**params, "collection": "ddh", "item_id": f"{ASSET}-v{ordinal}"})
    return {o: {"stac_collection": "ddh", "stac_item_id": f"{ASSET}-v{o}"} for o in (1, 2)}


def _publish(versions, ordinal: int) -> dict:
    params = {"asset_id": ASSET, "version_ordinal": ordinal, **versions[ordinal]}
    return run("publish_asset", params, LocalContext(job_id="pub-job", node_id="publish"))


def _public_blobs(store: BlobStore) -> list[str]:
    container = store._services[store.default_account].get_container_client(PUBLIC)  # type: ignore[attr-defined]
    return sorted(b.name for b in container.list_blobs()) if container.exists() else []


def test_published_item_is_in_the_public_collection_with_hrefs_at_the_public_copies(
    versions, index: StacCatalog, store: BlobStore
):
    result = _publish(versions, 1)
    public = index.get_item(COLLECTION, ASSET)
    href = public.item["assets"]["data"]["href"]
    assert store.ref_from_url(href).container == PUBLIC
    assert result["copied"] == [href]
    assert public.href == result["item_href"]
    assert public.item["properties"]["dagmaster:source_item"] == f"ddh/{ASSET}-v1"


def test_public_copy_has_the_bytes_of_the_version_cog(versions, store: BlobStore):
    href = _publish(versions, 1)["copied"][0]
    original = store.download_bytes(store.ref(OUTPUTS, "publish/v1.tif"))
    assert store.download_bytes(store.ref_from_url(href)) == original


def test_publishing_twice_leaves_one_public_item_and_the_same_copies(
    versions, index: StacCatalog, store: BlobStore
):
    first = _publish(versions, 1)
    blobs = _public_blobs(store)
    second = _publish(versions, 1)
    assert second["copied"] == first["copied"]
    assert second["removed"] == []
    assert _public_blobs(store) == blobs
    assert [i.item_id for i in index.list_items(collection=COLLECTION).items] == [ASSET]


def test_publishing_a_newer_version_replaces_the_public_item_and_removes_the_old_copies(
    versions, index: StacCatalog, store: BlobStore
):
    old = _publish(versions, 1)["copied"]
    new = _publish(versions, 2)
    assert new["removed"] == old
    assert index.get_item(COLLECTION, ASSET).item["assets"]["data"]["href"] == new["copied"][0]
    assert _public_blobs(store) == [
        f"{ASSET}/item.stac.json",
        f"{ASSET}/v2/{OUTPUTS}/publish/v2.tif",
    ]


def test_unpublish_removes_the_public_copies_and_item_and_nothing_else(
    versions, index: StacCatalog, store: BlobStore
):
    _publish(versions, 1)
    result = run("unpublish_asset", {"asset_id": ASSET})
    assert result["was_public"] is True
    assert _public_blobs(store) == []
    assert index.get_item(COLLECTION, ASSET) is None
    assert index.get_item("ddh", f"{ASSET}-v1") is not None
    assert store.exists(store.ref(OUTPUTS, "publish/v1.tif"))


def test_unpublishing_what_is_not_public_changes_nothing(versions, index: StacCatalog):
    first = run("unpublish_asset", {"asset_id": ASSET})
    assert (first["was_public"], first["removed"]) == (False, [])
    assert index.get_item("ddh", f"{ASSET}-v1") is not None


def test_a_version_whose_item_is_not_indexed_is_non_retryable_naming_it(index):
    params = {"stac_collection": "ddh", "stac_item_id": "missing"}
    with pytest.raises(NonRetryableError, match=r"ddh/missing .* is not in the STAC index"):
        run("publish_asset", {"asset_id": ASSET, "version_ordinal": 3, **params})


def test_a_mosaic_is_published_with_the_tiles_it_names(uint16_nodata, index, store: BlobStore):
    plan = run("plan_tiles", {**uint16_nodata, "tile_size": 256})
    out = {"output_container": OUTPUTS, "output_prefix": "publish/mosaic", "blocksize": 128}
    tiles = [run("cog_tile", {**uint16_nodata, "tile": t, **out}) for t in plan["tiles"]]
    vrt = {"container": OUTPUTS, "blob_path": "publish/mosaic/all.vrt"}
    run("mosaic", {"tiles": tiles, "output_container": OUTPUTS, "output_path": vrt["blob_path"]})
    run("stac_item", {**vrt, "collection": "ddh", "item_id": "mosaic-v1"})
    versions = {1: {"stac_collection": "ddh", "stac_item_id": "mosaic-v1"}}

    copied = _publish(versions, 1)["copied"]

    assert len(copied) == 1 + len(tiles)
    public_vrt = store.ref_from_url(
        index.get_item(COLLECTION, ASSET).item["assets"]["data"]["href"]
    )
    assert all(store.exists(tile) for tile in vrt_sources(store, public_vrt))
    run("unpublish_asset", {"asset_id": ASSET})
    assert _public_blobs(store) == []
