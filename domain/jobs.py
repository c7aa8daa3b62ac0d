"""What crosses the durable boundary for a job: the start message and the activity messages.

They travel as plain JSON (`model_dump(mode="json")`); every orchestration, activity and
sub-orchestration takes one of these and returns one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from domain.events import JobEvent
from domain.snapshot import PinnedWorkflow
from domain.tasks import TaskId

CANCEL_EVENT = "cancel"

ORCHESTRATOR_REVISION = 2
"""The orchestrator revision new jobs start with. Raise it with every change to what the
orchestrators schedule for a given history, and keep the old behaviour for the revisions
before: a running job replays its recorded history with the revision it started with
(2: timeline written before durable waits, `domain.timeline_writes`)."""


class EngineOptions(BaseModel):
    """Engine limits, fixed when the job is submitted (the orchestrator reads no settings)."""

    large_output_bytes: int = Field(default=32 * 1024, ge=1024)
    # A fan-out wider than this runs its children in sub-orchestrations of `batch_size`.
    batch_threshold: int | None = Field(default=100, ge=1)
    batch_size: int = Field(default=100, ge=1, le=1000)
    # A fan-out wider than this fails before any child is created (None: no cap).
    max_fan_out: int | None = Field(default=None, ge=1)
    task_hub: str | None = None
    # Jobs started before revisions existed carry none: they are revision 1.
    orchestrator_revision: int = Field(default=1, ge=1)


class JobStartMessage(BaseModel):
    """The input of the job orchestrator: everything it needs, pinned at submission."""

    job_id: str
    workflow: PinnedWorkflow
    inputs: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None
    asset_id: str | None = None
    parent_job_id: str | None = None
    engine: EngineOptions = EngineOptions()


class RunHandlerMessage(BaseModel):
    """Run attempt ``task_id.attempt`` of a light handler in an activity; it returns the
    `TaskResult` (`handlers.execute`)."""

    task_id: TaskId
    handler: str
    params: dict[str, Any] = Field(default_factory=dict)
    large_output_bytes: int = 32 * 1024


class ChildJobRecord(BaseModel):
    """The catalog row of a job that no HTTP request created (a sub-workflow job): written
    with its first `RecordEventsMessage`."""

    job_id: str
    workflow_id: str
    workflow_version: int
    workflow_hash: str
    asset_id: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    parent_job_id: str | None = None

    @classmethod
    def of(cls, start: JobStartMessage) -> ChildJobRecord:
        definition = start.workflow.definition
        return cls(
            job_id=start.job_id,
            workflow_id=definition.workflow_id,
            workflow_version=definition.version,
            workflow_hash=start.workflow.hash,
            asset_id=start.asset_id,
            inputs=start.inputs,
            parent_job_id=start.parent_job_id,
        )


class RecordEventsMessage(BaseModel):
    """One episode's timeline events and the job's progress, written in one activity call."""

    job_id: str
    events: list[JobEvent] = Field(default_factory=list)
    progress: dict[str, Any] | None = None
    create: ChildJobRecord | None = None


class StopInstancesMessage(BaseModel):
    """Child orchestrations (fan-out batches, sub-workflow jobs) still running when their job
    ended: each gets the cancel event."""

    instance_ids: list[str]
    reason: str


class JobFailed(Exception):
    """Raised by the orchestrator at the end of a failed job, so that the Durable status of
    the instance is `Failed` with this message, as operators expect."""
