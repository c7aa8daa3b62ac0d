"""Small builders for catalog tests: a job record, timeline events and STAC items with sane
defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.catalog.models import JobRecord, StacItemRecord
from domain.events import EventKind, JobEvent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def a_job(**fields: Any) -> JobRecord:
    values: dict[str, Any] = {
        "job_id": f"job-{uuid.uuid4().hex[:12]}",
        "workflow_id": "raster_ingest",
        "workflow_version": 3,
        "workflow_hash": "sha256:abc",
        "inputs": {"container": "raw", "blob_path": "a.tif"},
    }
    return JobRecord(**(values | fields))


def an_event(
    job_id: str,
    seq: int,
    kind: EventKind,
    node_id: str | None = None,
    attempt: int | None = None,
    **data: Any,
) -> JobEvent:
    """Event ``seq`` of the job, ``seq`` seconds after T0."""
    at = T0 + timedelta(seconds=seq)
    return JobEvent(
        job_id=job_id, seq=seq, kind=kind, at=at, node_id=node_id, attempt=attempt, data=data
    )


def a_stac_item(
    item_id: str,
    collection: str = "scenes",
    *,
    bbox: tuple[float, float, float, float] = (15.0, 45.0, 15.1, 45.1),
    job_id: str | None = "job-1",
    properties: dict[str, Any] | None = None,
    **fields: Any,
) -> StacItemRecord:
    """A STAC item over ``bbox`` (its polygon and the item JSON agree); ``fields`` override
    the record's other columns."""
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    item = {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "collection": collection,
        "bbox": list(bbox),
        "geometry": geometry,
        "properties": properties or {},
    }
    values: dict[str, Any] = {
        "collection": collection,
        "item_id": item_id,
        "job_id": job_id,
        "node_id": "stac",
        "bbox": bbox,
        "geometry": geometry,
        "datetime": datetime(2024, 5, 1, 10, tzinfo=UTC),
        "item": item,
        "href": f"http://127.0.0.1/acct/out/{item_id}.stac.json",
    }
    return StacItemRecord(**(values | fields))
