"""What the orchestrator tells the evaluator (`Result`s) and what it is told back (`Step`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from domain.errors import ErrorInfo
from domain.events import JobEvent
from domain.jobs import EngineOptions
from domain.models import RetryPolicy
from domain.status import JobStatus


class NodeCompleted(BaseModel):
    kind: Literal["completed"] = "completed"
    node_id: str
    attempt: int
    output: Any = None


class NodeStarted(BaseModel):
    """The worker started ``attempt`` of a heavy task (it was queued until now)."""

    kind: Literal["started"] = "started"
    node_id: str
    attempt: int
    delivery: int = 1


class NodeFailed(BaseModel):
    kind: Literal["failed"] = "failed"
    node_id: str
    attempt: int
    error: ErrorInfo
    timed_out: bool = False


class RetryDue(BaseModel):
    """The back-off timer before ``attempt`` fired: dispatch it."""

    kind: Literal["retry_due"] = "retry_due"
    node_id: str
    attempt: int


class ApprovalReceived(BaseModel):
    kind: Literal["approval"] = "approval"
    node_id: str
    approved: bool
    by: str | None = None
    reason: str | None = None


class BatchFinished(BaseModel):
    """A fan-out batch sub-orchestration returned the final outcome of each of its children."""

    kind: Literal["batch"] = "batch"
    result: BatchResult


class CancelRequested(BaseModel):
    kind: Literal["cancel"] = "cancel"
    by: str | None = None
    reason: str | None = None


class JobTimedOut(BaseModel):
    kind: Literal["job_timeout"] = "job_timeout"


Result = Annotated[
    NodeCompleted
    | NodeStarted
    | NodeFailed
    | RetryDue
    | ApprovalReceived
    | BatchFinished
    | CancelRequested
    | JobTimedOut,
    Field(discriminator="kind"),
]


class _RunTask(BaseModel):
    """Run ``attempt`` of a task node (or of a fan-out child) with its rendered params."""

    kind: Literal["task"] = "task"
    node_id: str
    attempt: int
    handler: str
    params: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float | None = None  # per attempt


class RunLightTask(_RunTask):
    """In the `run_handler` activity."""

    queue: Literal["light"] = "light"


class RunHeavyTask(_RunTask):
    """On the task queue, for the container worker; its result comes back as an event."""

    queue: Literal["heavy"] = "heavy"


RunTask = Annotated[RunLightTask | RunHeavyTask, Field(discriminator="queue")]


class WaitForApproval(BaseModel):
    """Wait for the approval event ``event_name``, at most ``timeout_seconds``."""

    kind: Literal["approval"] = "approval"
    node_id: str
    attempt: int
    event_name: str
    timeout_seconds: float | None = None


class RunSubWorkflow(BaseModel):
    """Run the pinned sub-workflow ``workflow_id`` (``version`` None: the latest pinned) as a
    child job with the rendered ``inputs``."""

    kind: Literal["sub_workflow"] = "sub_workflow"
    node_id: str
    attempt: int
    workflow_id: str
    workflow_version: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float | None = None


class BatchStartMessage(BaseModel):
    job_id: str
    batch_id: str  # `<fan-out id>@<n>`: a node-like id, unique in the job
    children: list[RunTask]
    retry: RetryPolicy
    max_parallel: int = Field(ge=1)
    seq_base: int = Field(ge=0)
    seq_span: int = Field(ge=0)
    engine: EngineOptions = Field(default_factory=EngineOptions)


class RunBatch(BaseModel):
    """Run a slice of a wide fan-out's children in a batch sub-orchestration."""

    kind: Literal["batch"] = "batch"
    node_id: str  # the batch id
    attempt: int = 1
    batch: BatchStartMessage


Dispatch = Annotated[
    RunTask | WaitForApproval | RunSubWorkflow | RunBatch, Field(discriminator="kind")
]
"""Start ``attempt`` of a node: one type per way of running it."""


def dispatch_details(dispatch: Dispatch) -> dict[str, Any]:
    """What a `node.dispatched` event says about how the node runs."""
    if isinstance(dispatch, WaitForApproval):
        return {"kind": dispatch.kind, "event_name": dispatch.event_name}
    if isinstance(dispatch, RunLightTask | RunHeavyTask):
        return {"kind": dispatch.kind, "handler": dispatch.handler, "queue": dispatch.queue}
    return {"kind": dispatch.kind}


class ChildOutcome(BaseModel):
    node_id: str
    status: Literal["completed", "failed", "timed_out", "cancelled"]
    attempts: int
    output: Any = None
    error: ErrorInfo | None = None


class BatchResult(BaseModel):
    batch_id: str
    outcomes: list[ChildOutcome]


class ScheduleRetry(BaseModel):
    node_id: str
    attempt: int  # the attempt that will run after the wait
    delay_seconds: float


class Finish(BaseModel):
    status: JobStatus
    output: Any = None
    error: ErrorInfo | None = None
    provenance: dict[str, Any] | None = None


class Step(BaseModel):
    """Everything one evaluation decided, in the order it decided it."""

    dispatch: list[Dispatch] = Field(default_factory=list)
    retries: list[ScheduleRetry] = Field(default_factory=list)
    abandon: list[str] = Field(default_factory=list)  # in-flight nodes no longer awaited
    skipped: dict[str, str] = Field(default_factory=dict)  # node -> reason
    choices: dict[str, str | None] = Field(default_factory=dict)  # conditional -> target
    fan_outs: dict[str, int] = Field(default_factory=dict)  # fan-out -> children created
    aggregates: dict[str, Any] = Field(default_factory=dict)  # fan-in -> value
    events: list[JobEvent] = Field(default_factory=list)
    finished: Finish | None = None
