"""The STAC read routes, called as the Functions host calls them, on the real PostgreSQL."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest

import wiring
from adapters.catalog import StacCatalog, StacItemRecord
from api.stac import get_stac_item, list_stac_items

BASE = "http://localhost:7071/api/"


@pytest.fixture
def stac(catalog_db, monkeypatch: pytest.MonkeyPatch) -> StacCatalog:
    index = StacCatalog(catalog_db.pool)
    monkeypatch.setattr(wiring, "stac_catalog", lambda: index)
    return index


def _call(
    route: Any,
    path: str,
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    request = func.HttpRequest(
        "GET", BASE + path, params=params or {}, route_params=route_params or {}, body=b""
    )
    response = asyncio.run(route._function._func(request))
    return response.status_code, json.loads(response.get_body())


def _item(
    item_id: str,
    collection: str = "scenes",
    job_id: str = "job-1",
    bbox: tuple[float, float, float, float] = (15.0, 45.0, 15.1, 45.1),
) -> StacItemRecord:
    w, s, e, n = bbox
    geometry = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    return StacItemRecord(
        collection=collection,
        item_id=item_id,
        job_id=job_id,
        bbox=bbox,
        geometry=geometry,
        datetime=datetime(2024, 5, 1, tzinfo=UTC),
        href=f"http://x/{item_id}.stac.json",
        item={"type": "Feature", "id": item_id, "collection": collection, "bbox": list(bbox)},
    )


def test_listing_filters_by_collection_job_and_bbox(stac: StacCatalog):
    stac.upsert_item(_item("a", collection="one", job_id="j1", bbox=(10, 45, 11, 46)))
    stac.upsert_item(_item("b", collection="two", job_id="j1", bbox=(20, 45, 21, 46)))
    stac.upsert_item(_item("c", collection="two", job_id="j2", bbox=(20, 45, 21, 46)))
    status, body = _call(
        list_stac_items, "stac/items", {"collection": "two", "job_id": "j1", "bbox": "19,44,22,47"}
    )
    assert status == 200
    assert [i["item_id"] for i in body["items"]] == ["b"]
    assert body["items"][0]["item"]["id"] == "b"
    assert body["next_cursor"] is None


def test_listing_pages_with_limit_and_cursor(stac: StacCatalog):
    for name in "abc":
        stac.upsert_item(_item(name))
    _, first = _call(list_stac_items, "stac/items", {"limit": "2"})
    _, second = _call(list_stac_items, "stac/items", {"limit": "2", "cursor": first["next_cursor"]})
    assert [i["item_id"] for i in first["items"]] == ["c", "b"]
    assert [i["item_id"] for i in second["items"]] == ["a"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bbox": "1,2,3"}, "bbox: expected four numbers minx,miny,maxx,maxy, got '1,2,3'"),
        ({"bbox": "a,b,c,d"}, "bbox: expected four numbers"),
        ({"bbox": "10,0,5,1"}, "bbox: minx 10.0 is greater than maxx 5.0"),
        ({"limit": "many"}, "limit: not an integer"),
        ({"limit": "0"}, "Invalid limit 0"),
        ({"cursor": "garbage"}, "Invalid cursor 'garbage'"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(stac, params, message):
    status, body = _call(list_stac_items, "stac/items", params)
    assert status == 400
    assert message in body["error"]


def test_one_item_is_read_by_collection_and_id(stac: StacCatalog):
    stac.upsert_item(_item("scene-1", collection="scenes"))
    status, body = _call(
        get_stac_item,
        "stac/collections/scenes/items/scene-1",
        route_params={"collection": "scenes", "item_id": "scene-1"},
    )
    assert status == 200
    assert (body["collection"], body["item_id"], body["job_id"]) == ("scenes", "scene-1", "job-1")
    assert body["href"] == "http://x/scene-1.stac.json"


def test_an_unknown_item_is_404_as_json(stac: StacCatalog):
    stac.upsert_item(_item("scene-1", collection="scenes"))
    status, body = _call(
        get_stac_item,
        "stac/collections/other/items/scene-1",
        route_params={"collection": "other", "item_id": "scene-1"},
    )
    assert status == 404
    assert body == {"error": "unknown STAC item 'scene-1' in collection 'other'"}


def test_the_stac_routes_are_registered_in_the_function_app():
    from function_app import app

    routes = {
        f.get_trigger().route for f in app.get_functions() if f.get_trigger().type == "httpTrigger"
    }
    assert {"api/stac/items", "api/stac/collections/{collection}/items/{item_id}"} <= routes
