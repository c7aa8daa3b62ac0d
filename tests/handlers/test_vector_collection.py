"""The collection document behind a vector item's ``collection`` link: stored next to the
items, valid STAC, its extent covering every item; indexed in the catalog when configured."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

import wiring
from adapters.blob import BlobStore
from adapters.catalog import StacCatalog, close_pool
from handlers.base import LocalContext
from handlers.raster.stac import validate_stac
from handlers.raster.stac_index import ENV_STAC_INDEX
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import run

WEST = (13.0, 45.0, 14.0, 46.0)
EAST = (15.0, 45.5, 16.0, 47.0)


def table(name: str, bbox: tuple[float, float, float, float]) -> dict:
    """A loaded table as vector_finalize reports it (no PostGIS needed for the item)."""
    return {
        "table": name,
        "schema_name": "geo",
        "qualified_name": f"geo.{name}",
        "feature_count": 10,
        "srid": 4326,
        "geometry_type": "MultiPoint",
        "bbox": bbox,
        "bbox_wgs84": bbox,
        "repaired": 0,
        "dropped_parts": 0,
    }


def item(collection: str, name: str, bbox: tuple[float, float, float, float]) -> dict:
    params = {"table": table(name, bbox), "fields": [], "output_container": OUTPUTS}
    params["collection"] = collection
    return run("vector_stac_item", params, LocalContext(job_id=f"job-{name}", node_id="stac"))


def document(store: BlobStore, href: str) -> dict:
    return json.loads(store.download_bytes(store.ref_from_url(href)))


@pytest.fixture
def collection() -> str:
    return f"vectors-{uuid.uuid4().hex[:8]}"


def test_the_item_s_collection_link_leads_to_a_valid_collection_document(
    store: BlobStore, collection: str
):
    result = item(collection, "west", WEST)
    link = next(x for x in result["item"]["links"] if x["rel"] == "collection")
    assert link["href"] == result["collection_href"]
    assert store.ref_from_url(link["href"]).path == f"collections/{collection}.json"
    found = document(store, link["href"])
    validate_stac(found, "the collection", kind="invalid")
    assert (found["type"], found["id"]) == ("Collection", collection)
    assert found["extent"]["spatial"]["bbox"] == [list(WEST)]


def test_a_second_item_widens_the_stored_collection_extent(store: BlobStore, collection: str):
    item(collection, "west", WEST)
    href = item(collection, "east", EAST)["collection_href"]
    assert document(store, href)["extent"]["spatial"]["bbox"] == [[13.0, 45.0, 16.0, 47.0]]


@pytest.fixture
def index(catalog_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[StacCatalog]:
    monkeypatch.setenv("DATABASE_URL", catalog_db.url)
    monkeypatch.setenv(ENV_STAC_INDEX, "catalog")
    close_pool()
    wiring.reset()
    yield StacCatalog(catalog_db.pool)
    close_pool()
    wiring.reset()


def test_with_the_index_the_collection_is_indexed_with_the_union_of_its_items(
    store: BlobStore, index: StacCatalog, collection: str
):
    item(collection, "west", WEST)
    result = item(collection, "east", EAST)
    item(collection, "west", WEST)  # re-indexing an item does not shrink the extent
    record = index.get_collection(collection)
    assert record.href == result["collection_href"]
    assert record.document["extent"]["spatial"]["bbox"] == [[13.0, 45.0, 16.0, 47.0]]
    assert document(store, record.href) == record.document
    start, end = record.document["extent"]["temporal"]["interval"][0]
    assert start <= end
