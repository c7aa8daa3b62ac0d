"""What the job catalog stores and returns (``*Record``) and one page of a listing."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

from domain.status import JobStatus, NodeStatus


def _now() -> datetime:
    return datetime.now(UTC)


class JobRecord(BaseModel):
    """One job. ``status``, timestamps, ``output`` and ``error`` are projected from events."""

    model_config = ConfigDict(frozen=True)

    job_id: str = Field(min_length=1)
    workflow_id: str
    workflow_version: int
    workflow_hash: str
    status: JobStatus = JobStatus.CREATED
    request_id: str | None = None
    asset_id: str | None = None
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    output: JsonValue = None
    error: JsonValue = None
    progress: dict[str, JsonValue] | None = None
    created_at: AwareDatetime = Field(default_factory=_now)
    updated_at: AwareDatetime | None = None
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None


class NodeRecord(BaseModel):
    """One attempt of one node; ``attempts`` is how many attempts the node has had so far."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    node_id: str
    attempt: int = Field(ge=1)
    attempts: int = Field(ge=1)
    status: NodeStatus
    handler: str | None = None
    queue: str | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    error: JsonValue = None
    output: JsonValue = None
    progress_percent: float | None = None
    progress_message: str | None = None
    updated_at: AwareDatetime


class JobPage(BaseModel):
    """One page of ``list_jobs``; pass ``next_cursor`` back to get the next (None: last page)."""

    items: list[JobRecord]
    next_cursor: str | None = None


class StacItemRecord(BaseModel):
    """One indexed STAC Item: the item JSON as stored, and the fields listings filter on.

    ``bbox`` is (west, south, east, north) in WGS84; ``href`` is the item's own blob URL.
    ``created_at`` / ``updated_at`` are set by the catalog (None before it stored the item).
    """

    model_config = ConfigDict(frozen=True)

    collection: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    job_id: str | None = None
    node_id: str | None = None
    bbox: tuple[float, float, float, float]
    geometry: dict[str, JsonValue]
    datetime: AwareDatetime | None
    item: dict[str, JsonValue]
    href: str
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _bbox_ordered(self) -> StacItemRecord:
        west, south, east, north = self.bbox
        if west > east or south > north:
            raise ValueError(
                f"bbox {list(self.bbox)} must be [west, south, east, north] with west <= east "
                "and south <= north (items crossing the antimeridian are not supported)"
            )
        return self


class StacItemPage(BaseModel):
    """One page of ``list_items``; pass ``next_cursor`` back to get the next (None: last page)."""

    items: list[StacItemRecord]
    next_cursor: str | None = None


class CollectionExtent(BaseModel):
    """The union of a collection's indexed items: WGS84 bbox and the items' datetimes."""

    bbox: tuple[float, float, float, float]
    start: AwareDatetime | None
    end: AwareDatetime | None


class StacCollectionRecord(BaseModel):
    """One indexed STAC Collection document and where it is stored."""

    model_config = ConfigDict(frozen=True)

    collection: str = Field(min_length=1)
    document: dict[str, JsonValue]
    href: str
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
