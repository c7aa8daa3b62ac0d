"""Small builders for catalog tests: a job record and timeline events with sane defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.catalog.models import JobRecord
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
