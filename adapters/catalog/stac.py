"""``StacCatalog``: the index of the STAC Items dagmaster wrote, in PostgreSQL.

Writes are idempotent upserts keyed by (collection, item id), so a retried or re-run
``stac_item`` updates its row instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from adapters.catalog.models import (
    CollectionExtent,
    StacCollectionRecord,
    StacItemPage,
    StacItemRecord,
)
from adapters.catalog.paging import Listing

BBox = tuple[float, float, float, float]
_COLUMNS = (
    "collection, item_id, job_id, node_id, "
    "ARRAY[bbox_west, bbox_south, bbox_east, bbox_north] AS bbox, "
    "geometry, datetime, item, href, created_at, updated_at"
)
_UPSERT = f"""
INSERT INTO stac_items AS s (collection, item_id, job_id, node_id, bbox_west, bbox_south,
                             bbox_east, bbox_north, geometry, datetime, item, href)
VALUES (%(collection)s, %(item_id)s, %(job_id)s, %(node_id)s, %(west)s, %(south)s, %(east)s,
        %(north)s, %(geometry)s, %(datetime)s, %(item)s, %(href)s)
ON CONFLICT (collection, item_id) DO UPDATE SET
    job_id = EXCLUDED.job_id, node_id = EXCLUDED.node_id,
    bbox_west = EXCLUDED.bbox_west, bbox_south = EXCLUDED.bbox_south,
    bbox_east = EXCLUDED.bbox_east, bbox_north = EXCLUDED.bbox_north,
    geometry = EXCLUDED.geometry, datetime = EXCLUDED.datetime, item = EXCLUDED.item,
    href = EXCLUDED.href, updated_at = now()
RETURNING {_COLUMNS}
"""
_FILTERS = {
    "collection": "collection = %(collection)s",
    "job_id": "job_id = %(job_id)s",
    # A platform's view: the public collection, and the items its own assets' jobs wrote.
    "visible_to": (
        "(collection = %(public_collection)s OR job_id IN (SELECT j.job_id FROM jobs j "
        "JOIN assets a ON a.asset_id = j.asset_id WHERE a.platform_id = %(visible_to)s))"
    ),
    "bbox": (
        "bbox_west <= %(east)s AND bbox_east >= %(west)s "
        "AND bbox_south <= %(north)s AND bbox_north >= %(south)s"
    ),
}
_EXTENT = """
SELECT min(bbox_west), min(bbox_south), max(bbox_east), max(bbox_north),
       min(datetime), max(datetime)
FROM stac_items WHERE collection = %s
"""
_UPSERT_COLLECTION = """
INSERT INTO stac_collections AS c (collection, document, href) VALUES (%s, %s, %s)
ON CONFLICT (collection) DO UPDATE SET
    document = EXCLUDED.document, href = EXCLUDED.href, updated_at = now()
RETURNING collection, document, href, created_at, updated_at
"""
_ITEMS = Listing("stac_items", _COLUMNS, keys=("collection", "item_id"))


def check_bbox(bbox: BBox) -> None:
    """``ValueError`` naming the problem unless ``bbox`` is [west, south, east, north]."""
    west, south, east, north = bbox
    if west > east:
        raise ValueError(
            f"bbox: minx {west} is greater than maxx {east} "
            "(bboxes crossing the antimeridian are not supported)"
        )
    if south > north:
        raise ValueError(f"bbox: miny {south} is greater than maxy {north}")


class StacCatalog:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def upsert_item(self, record: StacItemRecord) -> StacItemRecord:
        """Insert the item, or update the stored one with the same (collection, item_id);
        returns it as stored (``created_at`` of the first insert, ``updated_at`` of now)."""
        west, south, east, north = record.bbox
        params = {
            **record.model_dump(include={"collection", "item_id", "job_id", "node_id", "href"}),
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "geometry": Jsonb(record.geometry),
            "datetime": record.datetime,
            "item": Jsonb(record.item),
        }
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_UPSERT.encode(), params).fetchone()
        return StacItemRecord.model_validate(row)

    def upsert_collection(
        self,
        collection: str,
        document: Callable[[CollectionExtent | None], dict[str, Any]],
        href: str,
    ) -> StacCollectionRecord:
        """Store the collection's document, built by ``document`` from the extent of its
        indexed items (None: it has none), under a per-collection lock, so that of two
        writers registering items at once the later sees both items."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"stac:{collection}",))
            row = conn.execute(_EXTENT.encode(), (collection,)).fetchone()
            extent = None
            if row is not None and row[0] is not None:
                extent = CollectionExtent(bbox=tuple(row[:4]), start=row[4], end=row[5])
            cur = conn.cursor(row_factory=dict_row)
            params = (collection, Jsonb(document(extent)), href)
            stored = cur.execute(_UPSERT_COLLECTION.encode(), params).fetchone()
        return StacCollectionRecord.model_validate(stored)

    def get_collection(self, collection: str) -> StacCollectionRecord | None:
        query = (
            "SELECT collection, document, href, created_at, updated_at "
            "FROM stac_collections WHERE collection = %s"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (collection,)).fetchone()
        return None if row is None else StacCollectionRecord.model_validate(row)

    def get_item(self, collection: str, item_id: str) -> StacItemRecord | None:
        query = f"SELECT {_COLUMNS} FROM stac_items WHERE collection = %s AND item_id = %s"
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (collection, item_id)).fetchone()
        return None if row is None else StacItemRecord.model_validate(row)

    def delete_item(self, collection: str, item_id: str) -> bool:
        """Remove the item; False if there was none (deleting twice is not an error)."""
        query = "DELETE FROM stac_items WHERE collection = %s AND item_id = %s"
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(query.encode(), (collection, item_id))
            return cur.rowcount > 0

    def list_items(
        self,
        *,
        collection: str | None = None,
        job_id: str | None = None,
        bbox: BBox | None = None,
        visible_to: tuple[str, str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> StacItemPage:
        """Items newest first (created_at, then collection and item_id, descending), filtered
        by collection, job and bbox intersection, one page. ``visible_to`` (platform id,
        public collection): only that platform's assets' items and the public collection's.
        Pages never overlap or skip an item that existed when the first page was read."""
        params: dict[str, Any] = {
            "collection": collection,
            "job_id": job_id,
            "bbox": bbox,
            "visible_to": visible_to[0] if visible_to else None,
        }
        conds = [sql.SQL(_FILTERS[key]) for key, value in params.items() if value is not None]
        if visible_to is not None:
            params["public_collection"] = visible_to[1]
        if bbox is not None:
            check_bbox(bbox)
            params["west"], params["south"], params["east"], params["north"] = bbox
        items, next_cursor = _ITEMS.page(
            self._pool, StacItemRecord, conds, params, limit=limit, cursor=cursor
        )
        return StacItemPage(items=items, next_cursor=next_cursor)
