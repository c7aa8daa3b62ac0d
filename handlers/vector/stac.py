"""vector_stac_item: a STAC Item for a loaded PostGIS table, stored and indexed like rasters'."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from psycopg.conninfo import conninfo_to_dict
from pydantic import BaseModel, ConfigDict, Field

import wiring
from adapters.postgis.settings import ENV_URL
from handlers.base import HandlerContext, registry
from handlers.raster.models import StoredBlob
from handlers.raster.stac import STAC_MEDIA_TYPE, item_record, validate_stac
from handlers.raster.stac_index import stac_index
from handlers.raster.storage import output_ref, storage_errors, stored_blob
from handlers.vector.collection import collection_ref, register_collection
from handlers.vector.load import FinalizeResult
from handlers.vector.models import FieldInfo, safe_identifier

TABLE_MEDIA_TYPE = "application/vnd.postgresql.table"  # no registered type for a SQL table
PROJ_EXTENSION = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
TABLE_EXTENSION = "https://stac-extensions.github.io/table/v1.2.0/schema.json"


class VectorStacParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: FinalizeResult
    fields: list[FieldInfo]
    output_container: str = Field(min_length=3, max_length=63)
    collection: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,256}$")
    item_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,256}$")
    properties: dict[str, Any] = Field(default_factory=dict)


class VectorStacResult(BaseModel):
    item: dict[str, Any]
    item_blob: StoredBlob
    indexed: bool
    collection_href: str | None = Field(
        default=None, description="the collection's document (collections/<id>.json)"
    )


@registry.register("vector_stac_item", VectorStacParams)
def vector_stac_item(params: VectorStacParams, ctx: HandlerContext) -> VectorStacResult:
    """Build the Item (footprint = the table's WGS84 extent; proj and table extensions; the
    table as its data asset), validate it offline, store it as
    ``<job id>/<table>.stac.json`` in ``output_container`` and index it when configured;
    then write (and index) its collection's document (`handlers.vector.collection`)."""
    item = _item(params, ctx)
    store = wiring.blob_store()
    with storage_errors():
        path = f"{ctx.job_id}/{params.table.table}.stac.json"
        ref = output_ref(store, params.output_container, path)
        item["links"].append({"rel": "self", "href": store.url(ref), "type": STAC_MEDIA_TYPE})
        collection = (
            collection_ref(store, params.output_container, params.collection)
            if params.collection
            else None
        )
        if collection is not None:
            link = {"rel": "collection", "href": store.url(collection), "type": "application/json"}
            item["links"].append(link)
        validate_stac(
            item,
            f"the STAC Item built for table {params.table.qualified_name}",
            "invalid_stac_item",
        )
        store.upload_bytes(ref, json.dumps(item).encode(), STAC_MEDIA_TYPE)
        stored, _ = stored_blob(store, ref)
    index = stac_index()
    indexed = index is not None and collection is not None
    if index is not None and indexed:
        index.upsert_item(item_record(item, stored.url, ctx.job_id, ctx.node_id))
    if collection is not None and params.collection:
        with storage_errors():
            register_collection(store, collection, params.collection, item)
    return VectorStacResult(
        item=item,
        item_blob=stored,
        indexed=indexed,
        collection_href=store.url(collection) if collection is not None else None,
    )


def _item(params: VectorStacParams, ctx: HandlerContext) -> dict[str, Any]:
    table = params.table
    w, s, e, n = table.bbox_wgs84 or (0.0, 0.0, 0.0, 0.0)
    columns = [
        {"name": "ogc_fid", "type": "bigint", "description": "feature index in the source"},
        {"name": "geom", "type": f"geometry({table.geometry_type}, {table.srid})"},
        *(
            {"name": f.column, "type": f.pg_type, "description": f"source field '{f.name}'"}
            for f in params.fields
        ),
    ]
    item: dict[str, Any] = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [PROJ_EXTENSION, TABLE_EXTENSION],
        "id": params.item_id or table.table,
        "bbox": [w, s, e, n],
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
        },
        "properties": {
            **params.properties,
            "datetime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "proj:epsg": table.srid,
            "proj:bbox": list(table.bbox) if table.bbox else None,
            "table:columns": columns,
            "table:primary_geometry": "geom",
            "table:row_count": table.feature_count,
            "dagmaster:job_id": ctx.job_id,
        },
        "assets": {
            "data": {
                "href": table_href(table.qualified_name),
                "type": TABLE_MEDIA_TYPE,
                "title": f"PostGIS table {table.qualified_name}",
                "roles": ["data"],
            }
        },
        "links": [],
    }
    if params.collection:
        item["collection"] = params.collection  # its link is added with the document's URL
    if item["properties"]["proj:bbox"] is None:
        del item["properties"]["proj:bbox"]
    return item


def table_href(qualified_name: str) -> str:
    """``postgresql://host:port/db?table=schema.table`` without credentials (a table or a
    view)."""
    url = wiring.postgis_settings().url or ""
    if url == "catalog" or not url:
        return f"postgresql:///?table={qualified_name}#{ENV_URL}"
    parts = conninfo_to_dict(url)
    host, port, db = parts.get("host", ""), parts.get("port", "5432"), parts.get("dbname", "")
    return f"postgresql://{host}:{port}/{db}?table={qualified_name}"


def href_table(href: str) -> tuple[str, str] | None:
    """The ``(schema, table)`` a `table_href` names, or None."""
    names = parse_qs(urlsplit(href).query).get("table", [])
    schema, dot, table = names[0].partition(".") if names else ("", "", "")
    return (schema, table) if dot and safe_identifier(schema) and safe_identifier(table) else None
