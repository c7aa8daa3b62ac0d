"""The STAC read routes, called as the Functions host calls them, on the real PostgreSQL."""

import json
from typing import Any

import azure.functions as func
import pytest

import wiring
from adapters.catalog import StacCatalog
from tests.catalog.builders import a_stac_item
from tests.support.app import app_functions, call_route

BASE = "http://localhost:7071/api/"
LIST = "api/stac/items"
ITEM = "api/stac/collections/{collection}/items/{item_id}"
COLLECTION = "api/stac/collections/{collection}"


@pytest.fixture
def stac(catalog_db, monkeypatch: pytest.MonkeyPatch) -> StacCatalog:
    index = StacCatalog(catalog_db.pool)
    monkeypatch.setattr(wiring, "stac_catalog", lambda: index)
    return index


def _call(
    route: str,
    path: str,
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    request = func.HttpRequest(
        "GET", BASE + path, params=params or {}, route_params=route_params or {}, body=b""
    )
    response = call_route(route, request)
    return response.status_code, json.loads(response.get_body())


def test_listing_filters_by_collection_job_and_bbox(stac: StacCatalog):
    stac.upsert_item(a_stac_item("a", collection="one", job_id="j1", bbox=(10, 45, 11, 46)))
    stac.upsert_item(a_stac_item("b", collection="two", job_id="j1", bbox=(20, 45, 21, 46)))
    stac.upsert_item(a_stac_item("c", collection="two", job_id="j2", bbox=(20, 45, 21, 46)))
    status, body = _call(
        LIST, "stac/items", {"collection": "two", "job_id": "j1", "bbox": "19,44,22,47"}
    )
    assert status == 200
    assert [i["item_id"] for i in body["items"]] == ["b"]
    assert body["items"][0]["item"]["id"] == "b"
    assert body["next_cursor"] is None


def test_listing_pages_with_limit_and_cursor(stac: StacCatalog):
    for name in "abc":
        stac.upsert_item(a_stac_item(name))
    _, first = _call(LIST, "stac/items", {"limit": "2"})
    _, second = _call(LIST, "stac/items", {"limit": "2", "cursor": first["next_cursor"]})
    assert [i["item_id"] for i in first["items"]] == ["c", "b"]
    assert [i["item_id"] for i in second["items"]] == ["a"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bbox": "1,2,3"}, "bbox: expected four numbers minx,miny,maxx,maxy, got '1,2,3'"),
        ({"bbox": "a,b,c,d"}, "bbox: expected four numbers"),
        ({"bbox": "10,0,5,1"}, "bbox: minx 10.0 is greater than maxx 5.0"),
        ({"limit": "many"}, "limit: Input should be a valid integer"),
        ({"limit": "0"}, "limit: Input should be greater than or equal to 1"),
        ({"cursor": "garbage"}, "Invalid cursor 'garbage'"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(stac, params, message):
    status, body = _call(LIST, "stac/items", params)
    assert status == 400
    assert message in body["error"]


def test_one_item_is_read_by_collection_and_id(stac: StacCatalog):
    stac.upsert_item(a_stac_item("scene-1", href="http://x/scene-1.stac.json"))
    status, body = _call(
        ITEM,
        "stac/collections/scenes/items/scene-1",
        route_params={"collection": "scenes", "item_id": "scene-1"},
    )
    assert status == 200
    assert (body["collection"], body["item_id"], body["job_id"]) == ("scenes", "scene-1", "job-1")
    assert body["href"] == "http://x/scene-1.stac.json"


def test_an_unknown_item_is_404_as_json(stac: StacCatalog):
    stac.upsert_item(a_stac_item("scene-1", collection="scenes"))
    status, body = _call(
        ITEM,
        "stac/collections/other/items/scene-1",
        route_params={"collection": "other", "item_id": "scene-1"},
    )
    assert status == 404
    assert body == {"error": "unknown STAC item 'scene-1' in collection 'other'"}


def test_the_stac_routes_are_registered_in_the_function_app():
    routes = {info.trigger.get("route") for info in app_functions().http}
    assert {LIST, ITEM, COLLECTION} <= routes


def test_a_registered_collection_is_read_with_its_document_and_an_unknown_one_is_404(
    stac: StacCatalog,
):
    stac.upsert_item(a_stac_item("scene-1", collection="scenes", bbox=(10, 45, 11, 46)))
    stac.upsert_collection(
        "scenes", lambda extent: {"id": "scenes", "bbox": list(extent.bbox)}, "http://x/c.json"
    )
    route = {"collection": "scenes"}
    status, body = _call(COLLECTION, "stac/collections/scenes", route_params=route)
    assert status == 200
    assert (body["href"], body["document"]) == (
        "http://x/c.json",
        {"id": "scenes", "bbox": [10, 45, 11, 46]},
    )
    status, body = _call(COLLECTION, "stac/collections/none", route_params={"collection": "none"})
    assert (status, body) == (404, {"error": "unknown STAC collection 'none'"})
