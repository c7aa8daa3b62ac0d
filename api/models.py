"""What the HTTP API reads (``*Query``, ``*Request``) and answers (``*View``, ``*Page``).

Request models are strict: no string-to-number or string-to-bool coercion in bodies, and an
unknown field is a 400 (``"input"`` for ``"inputs"`` is not silently ignored). Query models
convert the query text (``limit=5``) but nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from adapters.catalog import JobRecord, NodeRecord
from domain.events import JobEvent
from domain.status import JobStatus

MAX_PAGE = 1000
Limit = Field(default=50, ge=1, le=MAX_PAGE, description="items per page")
Cursor = Field(default=None, description="a next_cursor from the previous page, unchanged")


def _iso_8601(value: object) -> object:
    """Only ISO 8601 text (not a number of seconds); a time without zone is UTC."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


IsoTime = Annotated[datetime, BeforeValidator(_iso_8601)]


class RequestBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CancelRequest(RequestBody):
    """`POST /api/jobs/{job_id}/cancel` body (optional)."""

    by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class ApprovalRequest(RequestBody):
    """`POST /api/jobs/{job_id}/approve/{node_id}` body: who decides, and how."""

    approved: bool = True
    by: str = Field(min_length=1, max_length=200, description="who approves or rejects")
    reason: str | None = Field(default=None, max_length=2000)


class ListJobsQuery(Query):
    status: JobStatus | None = None
    workflow_id: str | None = None
    asset_id: str | None = None
    created_from: IsoTime | None = Field(default=None, description="ISO 8601, inclusive")
    created_to: IsoTime | None = Field(default=None, description="ISO 8601, exclusive")
    limit: int = Limit
    cursor: str | None = Cursor
    full: bool = Field(default=False, description="include each job's inputs and output")


class JobQuery(Query):
    resolve: bool = Field(default=True, description="read offloaded outputs from blob storage")


class NodesQuery(Query):
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE, description="nodes per page")
    cursor: str | None = Cursor
    full: bool = Field(default=True, description="include each node's output")


class TimelineQuery(Query):
    after_seq: int = Field(default=-1, ge=-1, lt=2**63, description="only events after this seq")
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE, description="events per page")
    cursor: str | None = Cursor


class WorkflowQuery(Query):
    version: int | None = Field(default=None, ge=1, description="default: the latest")


class JobLinks(BaseModel):
    self: str
    nodes: str
    timeline: str
    cancel: str


class SubmitAccepted(BaseModel):
    job_id: str
    status: JobStatus
    workflow_id: str
    version: int
    links: JobLinks


class NodeProgress(BaseModel):
    attempt: int
    percent: float | None
    message: str | None


class JobView(JobRecord):
    links: JobLinks
    node_progress: dict[str, NodeProgress]


class JobSummary(BaseModel):
    """A job in a listing: its record without ``inputs`` and ``output`` unless ``full``."""

    job_id: str
    workflow_id: str
    workflow_version: int
    workflow_hash: str
    status: JobStatus
    request_id: str | None = None
    asset_id: str | None = None
    inputs: dict[str, JsonValue] | None = Field(default=None, description="only with full=true")
    output: JsonValue = Field(default=None, description="only with full=true")
    error: JsonValue = None
    progress: dict[str, JsonValue] | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None


class JobListPage(BaseModel):
    items: list[JobSummary]
    next_cursor: str | None = None


class NodesPage(BaseModel):
    job_id: str
    items: list[NodeRecord]
    next_cursor: str | None = None


class TimelinePage(BaseModel):
    job_id: str
    items: list[JobEvent]
    next_cursor: str | None = None


class CancelAccepted(BaseModel):
    job_id: str
    cancel: str = "requested"


class ApprovalAccepted(BaseModel):
    job_id: str
    node_id: str
    approved: bool
    by: str
    reason: str | None


class StacItemsQuery(Query):
    collection: str | None = None
    job_id: str | None = None
    bbox: str | None = Field(default=None, description="minx,miny,maxx,maxy in WGS84 degrees")
    limit: int = Limit
    cursor: str | None = Cursor


class WorkflowSummary(BaseModel):
    workflow_id: str
    version: int
    description: str | None
    hash: str
    inputs: dict[str, dict[str, JsonValue]]


class WorkflowListQuery(Query):
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE, description="workflows per page")
    cursor: str | None = Cursor


class WorkflowList(BaseModel):
    items: list[WorkflowSummary]
    next_cursor: str | None = None


class WorkflowView(WorkflowSummary):
    definition: dict[str, JsonValue]
    mermaid: str


class Probe(BaseModel):
    status: str
    checks: dict[str, dict[str, JsonValue]] = Field(default_factory=dict)
    workflows: int | None = None
