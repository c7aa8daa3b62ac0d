"""Read the STAC index: `/api/stac/items`, `/api/stac/collections/{c}/items/{id}` and
`/api/stac/collections/{c}`.

Item routes return index records: the item JSON under ``item`` with the job and node that
wrote it, its blob ``href`` and when it was indexed. Listings page like `GET /api/jobs`. The
collection route returns a registered collection's document under ``document`` and where it
is stored (``href``).

Access (`api.access`): a platform sees the items its own assets' jobs wrote and the public
collection's (`DAGMASTER_PUBLIC_STAC_COLLECTION`); reviewers and operators see every item.
A collection's document sums up every platform's items in it, so a platform reads only the
public collection's; reviewers and operators read every one.
"""

from __future__ import annotations

import asyncio
import math

import azure.functions as func

import wiring
from adapters.catalog import StacCatalog, StacItemPage, StacItemRecord
from adapters.catalog.models import StacCollectionRecord
from adapters.catalog.stac import BBox, check_bbox
from api import contract
from api.access import guard, own_platform, sees
from api.http import BadRequest, NotFound, json_errors, json_response, parse_query
from api.models import StacItemsQuery
from config.settings import PublishSettings
from domain.access import Rule

bp = func.Blueprint()


async def _stac() -> StacCatalog:
    return await asyncio.to_thread(wiring.stac_catalog)


def parse_bbox(value: str | None) -> BBox | None:
    """``minx,miny,maxx,maxy`` in WGS84 degrees, or None when absent."""
    if not value:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise BadRequest(f"bbox: expected four numbers minx,miny,maxx,maxy, got {value!r}")
    bbox: BBox = (numbers[0], numbers[1], numbers[2], numbers[3])
    try:
        check_bbox(bbox)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return bbox


def _public_collection() -> str:
    return PublishSettings.from_env().collection


@contract.route(bp, "GET", "api/stac/items", StacItemPage, query=StacItemsQuery)
@json_errors
@guard(Rule.READ)
async def list_stac_items(req: func.HttpRequest) -> func.HttpResponse:
    """Indexed STAC items, newest first, filtered by collection, job and bbox, one page."""
    query: StacItemsQuery = parse_query(StacItemsQuery, req)
    bbox = parse_bbox(query.bbox)
    stac = await _stac()
    try:
        page = await asyncio.to_thread(
            stac.list_items,
            collection=query.collection or None,
            job_id=query.job_id or None,
            bbox=bbox,
            visible_to=(own, _public_collection()) if (own := own_platform()) else None,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return json_response(page)


@contract.route(
    bp,
    "GET",
    "api/stac/collections/{collection}/items/{item_id}",
    StacItemRecord,
    errors=(404,),
)
@json_errors
@guard(Rule.READ)
async def get_stac_item(req: func.HttpRequest) -> func.HttpResponse:
    """One indexed STAC item by collection and id (404 if not indexed)."""
    collection, item_id = req.route_params["collection"], req.route_params["item_id"]
    record = await asyncio.to_thread((await _stac()).get_item, collection, item_id)
    if record is None or not await _visible(record.collection, record.job_id):
        raise NotFound(f"unknown STAC item '{item_id}' in collection '{collection}'")
    return json_response(record)


async def _visible(collection: str, job_id: str | None) -> bool:
    """Access: a platform sees the public collection and its own assets' items."""
    if own_platform() is None or collection == _public_collection():
        return True
    if job_id is None:
        return False
    return sees(await asyncio.to_thread(wiring.catalog().platform_of_job, job_id))


@contract.route(bp, "GET", "api/stac/collections/{collection}", StacCollectionRecord, errors=(404,))
@json_errors
@guard(Rule.READ)
async def get_stac_collection(req: func.HttpRequest) -> func.HttpResponse:
    """One registered STAC collection's document (404 if none is registered; for a platform,
    also any but the public collection, whose extent sums up other platforms' items)."""
    collection = req.route_params["collection"]
    record = await asyncio.to_thread((await _stac()).get_collection, collection)
    hidden = own_platform() is not None and collection != _public_collection()
    if record is None or hidden:
        raise NotFound(f"unknown STAC collection '{collection}'")
    return json_response(record)
