"""The heavy-task contract: what crosses the queue to the container worker and what comes back.

The orchestrator dispatches a `TaskMessage` for attempt N of a heavy node and then waits for
the external event named by `task_event_name(node_id, attempt)` on its own instance. The
worker raises that event with a `TaskResult` as its payload (through the Durable HTTP API).
When the message names a `started_event_name` too, the worker raises that one with a
`TaskStarted` as soon as it starts the task's process (the time before is queue time).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import ErrorInfo


class TaskId(BaseModel):
    """Identifies one attempt of one node of one job; the worker's idempotency key."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    node_id: str
    attempt: int = Field(ge=1)

    def key(self) -> str:
        return f"{self.job_id}/{self.node_id}/{self.attempt}"


def task_event_name(node_id: str, attempt: int) -> str:
    """The external event that carries the result of ``attempt`` of heavy node ``node_id``."""
    return f"task:{node_id}:{attempt}"


def task_started_event_name(node_id: str, attempt: int) -> str:
    """The external event that says the worker started ``attempt`` of heavy node ``node_id``."""
    return f"{task_event_name(node_id, attempt)}:started"


class ReplyTo(BaseModel):
    """Where the worker sends the result: an orchestration instance and the event name;
    ``started_event_name``, if set, is raised when the task starts (older messages: none)."""

    instance_id: str
    event_name: str
    task_hub: str | None = None
    started_event_name: str | None = None


class TaskStarted(BaseModel):
    """The payload of the started event: which attempt, on which delivery of its message."""

    task_id: TaskId
    delivery: int = Field(default=1, ge=1)


class TaskMessage(BaseModel):
    """One heavy task on the queue. ``params_ref`` replaces ``params`` when they are too large;
    params may hold large-output references (`domain.offload`), read by the worker."""

    task_id: TaskId
    handler: str
    params: dict[str, Any] | None = None
    params_ref: str | None = None
    timeout_seconds: float | None = None
    checkpoint_ref: str | None = None
    reply_to: ReplyTo
    large_output_bytes: int = Field(default=32 * 1024, gt=0)
    """Outputs larger than this go to blob storage; the event carries their stub."""


class TaskResult(BaseModel):
    """What one handler attempt came to, light or heavy: an output or a classified error,
    never both. The `run_handler` activity returns it; the worker raises it as the task
    event's payload."""

    task_id: TaskId
    status: Literal["completed", "failed"]
    output: Any = None
    error: ErrorInfo | None = None

    @classmethod
    def completed(cls, task_id: TaskId, output: Any) -> TaskResult:
        return cls(task_id=task_id, status="completed", output=output)

    @classmethod
    def failed(cls, task_id: TaskId, kind: str, message: str, *, retryable: bool) -> TaskResult:
        error = ErrorInfo(kind=kind, message=message, retryable=retryable)
        return cls(task_id=task_id, status="failed", error=error)
