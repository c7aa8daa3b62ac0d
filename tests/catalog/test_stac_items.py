"""The STAC item index (``StacCatalog``) on the real embedded PostgreSQL."""

import pytest

from adapters.catalog import StacCatalog
from tests.catalog.builders import a_job, a_stac_item


@pytest.fixture
def stac(catalog_db) -> StacCatalog:
    return StacCatalog(catalog_db.pool)


def test_an_upserted_item_is_read_back_unchanged(stac: StacCatalog):
    stored = stac.upsert_item(a_stac_item("a"))
    got = stac.get_item("scenes", "a")
    assert got == stored
    assert got.item == a_stac_item("a").item
    assert got.bbox == (15.0, 45.0, 15.1, 45.1)
    assert got.created_at is not None


def test_unknown_item_reads_as_none(stac: StacCatalog):
    assert stac.get_item("scenes", "nope") is None


def test_upserting_an_item_again_updates_its_row_and_keeps_created_at(stac: StacCatalog):
    first = stac.upsert_item(a_stac_item("a", properties={"platform": "s2a"}))
    second = stac.upsert_item(a_stac_item("a", properties={"platform": "s2b"}, job_id="job-2"))
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert stac.get_item("scenes", "a").item["properties"] == {"platform": "s2b"}
    assert [i.job_id for i in stac.list_items().items] == ["job-2"]


def test_the_same_item_id_in_two_collections_is_two_items(stac: StacCatalog):
    stac.upsert_item(a_stac_item("a", collection="one"))
    stac.upsert_item(a_stac_item("a", collection="two"))
    assert {i.collection for i in stac.list_items().items} == {"one", "two"}


def test_listing_filters_by_collection_and_job(stac: StacCatalog):
    stac.upsert_item(a_stac_item("a", collection="one", job_id="j1"))
    stac.upsert_item(a_stac_item("b", collection="two", job_id="j1"))
    stac.upsert_item(a_stac_item("c", collection="two", job_id="j2"))
    assert [i.item_id for i in stac.list_items(collection="two").items] == ["c", "b"]
    assert [i.item_id for i in stac.list_items(job_id="j1").items] == ["b", "a"]
    assert [i.item_id for i in stac.list_items(collection="two", job_id="j1").items] == ["b"]


def test_listing_by_bbox_returns_the_items_it_intersects(stac: StacCatalog):
    stac.upsert_item(a_stac_item("west", bbox=(10.0, 45.0, 11.0, 46.0)))
    stac.upsert_item(a_stac_item("east", bbox=(20.0, 45.0, 21.0, 46.0)))
    stac.upsert_item(a_stac_item("north", bbox=(10.0, 60.0, 11.0, 61.0)))
    found = stac.list_items(bbox=(10.5, 45.5, 20.5, 50.0)).items
    assert sorted(i.item_id for i in found) == ["east", "west"]
    touching = stac.list_items(bbox=(11.0, 46.0, 12.0, 47.0)).items
    assert [i.item_id for i in touching] == ["west"]


def test_pages_cover_every_item_once_newest_first(stac: StacCatalog):
    for name in "abcde":
        stac.upsert_item(a_stac_item(name))
    seen, cursor = [], None
    while True:
        page = stac.list_items(limit=2, cursor=cursor)
        seen += [i.item_id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ["e", "d", "c", "b", "a"]


def test_a_bbox_with_min_above_max_is_refused_naming_it(stac: StacCatalog):
    with pytest.raises(ValueError, match=r"bbox: minx 20\.0 is greater than maxx 10\.0"):
        stac.list_items(bbox=(20.0, 0.0, 10.0, 1.0))


def test_a_cursor_from_another_listing_is_refused(stac: StacCatalog, catalog):
    for _ in range(2):
        catalog.create_job(a_job())
    job_cursor = catalog.list_jobs(limit=1).next_cursor
    with pytest.raises(ValueError, match="Invalid cursor"):
        stac.list_items(cursor=job_cursor)
