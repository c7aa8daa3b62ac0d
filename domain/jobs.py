"""What crosses the durable boundary for a job: the start record and the activity messages.

They travel as plain JSON (`model_dump(mode="json")`); every orchestration, activity and
sub-orchestration takes one of these and returns one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from domain.events import JobEvent
from domain.snapshot import PinnedWorkflow
from domain.state import NodeError

CANCEL_EVENT = "cancel"


class EngineOptions(BaseModel):
    """Engine limits, fixed when the job is submitted (the orchestrator reads no settings)."""

    large_output_bytes: int = Field(default=32 * 1024, ge=1024)
    # A fan-out wider than this runs its children in sub-orchestrations of `batch_size`.
    batch_threshold: int | None = Field(default=100, ge=1)
    batch_size: int = Field(default=100, ge=1, le=1000)
    # A fan-out wider than this fails before any child is created (None: no cap).
    max_fan_out: int | None = Field(default=None, ge=1)
    task_hub: str | None = None


class JobStart(BaseModel):
    """The input of the job orchestrator: everything it needs, pinned at submission."""

    job_id: str
    workflow: PinnedWorkflow
    inputs: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None
    asset_id: str | None = None
    parent_job_id: str | None = None
    engine: EngineOptions = EngineOptions()


class RunHandler(BaseModel):
    """Run a light handler in an activity."""

    job_id: str
    node_id: str
    attempt: int
    handler: str
    params: dict[str, Any] = Field(default_factory=dict)
    large_output_bytes: int = 32 * 1024


class HandlerOutcome(BaseModel):
    """A handler's output, or its classified error; handler errors never fail the activity."""

    ok: bool
    output: Any = None
    error: NodeError | None = None


class RecordEvents(BaseModel):
    """One episode's timeline events and the job's progress, written in one activity call."""

    job_id: str
    events: list[JobEvent] = Field(default_factory=list)
    progress: dict[str, Any] | None = None
    # A sub-workflow job creates its own catalog row with its first batch.
    create: dict[str, Any] | None = None


class StopInstances(BaseModel):
    """Child orchestrations (fan-out batches, sub-workflow jobs) still running when their job
    ended: each gets the cancel event."""

    instance_ids: list[str]
    reason: str


class JobFailed(Exception):
    """Raised by the orchestrator at the end of a failed job, so that the Durable status of
    the instance is `Failed` with this message, as operators expect."""
