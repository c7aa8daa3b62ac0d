"""What a finished durable task means to the evaluator: the orchestrator hands over what the
task returned (or why it failed) and gets back the `Result` to feed, decided here, pure.

Also the one decision taken while dispatching: whether a sub-workflow's rendered inputs
satisfy the pinned child workflow (`start_sub_workflow`).
"""

from __future__ import annotations

import json
from typing import Any

from domain.decisions import (
    ApprovalReceived,
    BatchFinished,
    BatchResult,
    BatchStartMessage,
    CancelRequested,
    ChildOutcome,
    NodeCompleted,
    NodeFailed,
    NodeStarted,
    RunSubWorkflow,
    RunTask,
    WaitForApproval,
)
from domain.errors import ErrorInfo
from domain.inputs import InputError, resolve_inputs
from domain.jobs import EngineOptions, JobStartMessage
from domain.snapshot import PinnedWorkflow
from domain.tasks import TaskResult, TaskStarted

Timed = RunTask | WaitForApproval | RunSubWorkflow


def event_payload(value: Any) -> Any:
    """An external event's data. The Python client's `raise_event` double-encodes (a dict
    arrives as its JSON text, azure-functions-durable-python#295); the HTTP API does not."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _body(raw: Any) -> dict[str, Any]:
    payload = event_payload(raw)
    return payload if isinstance(payload, dict) else {}


def task_outcome(d: RunTask, raw: Any) -> NodeCompleted | NodeFailed:
    """A `TaskResult` (the `run_handler` activity's output, or the heavy task event's
    payload, possibly double-encoded) as the attempt's result."""
    try:
        result = TaskResult.model_validate(event_payload(raw))
    except ValueError as exc:
        error = ErrorInfo(kind="bad_task_result", message=f"unreadable task result: {exc}")
        return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)
    if result.status == "completed":
        return NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=result.output)
    error = result.error or ErrorInfo(kind="task_failed", message="task failed")
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)


def task_not_run(d: RunTask, kind: str, message: str) -> NodeFailed:
    """The activity carrying the attempt failed itself (``activity_failed``,
    ``dispatch_failed``): retryable, the handler may never have run."""
    error = ErrorInfo(kind=kind, message=message, retryable=True)
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)


def attempt_timed_out(d: Timed, timeout_seconds: float) -> NodeFailed:
    error = ErrorInfo(
        kind="timeout", message=f"attempt {d.attempt} timed out after {timeout_seconds:g}s"
    )
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, timed_out=True, error=error)


def task_started(d: RunTask, raw: Any) -> NodeStarted:
    """The heavy task's started event (`TaskStarted`); a payload that does not parse still
    says the task started, on an unknown delivery."""
    try:
        delivery = TaskStarted.model_validate(event_payload(raw)).delivery
    except ValueError:
        delivery = 1
    return NodeStarted(node_id=d.node_id, attempt=d.attempt, delivery=delivery)


def approval_received(d: WaitForApproval, raw: Any) -> ApprovalReceived:
    """The approval event ``{approved, by, reason}``; anything else is not an approval."""
    body = _body(raw)
    return ApprovalReceived(
        node_id=d.node_id,
        approved=bool(body.get("approved")),
        by=body.get("by"),
        reason=body.get("reason"),
    )


def cancel_requested(raw: Any) -> CancelRequested:
    """The cancel event ``{by, reason}``."""
    body = _body(raw)
    return CancelRequested(by=body.get("by"), reason=body.get("reason"))


def start_sub_workflow(
    d: RunSubWorkflow,
    workflow: PinnedWorkflow,
    *,
    job_id: str,
    asset_id: str | None,
    engine: EngineOptions,
) -> JobStartMessage | NodeFailed:
    """The child job's start record, or the node's failure when its inputs do not satisfy
    the pinned sub-workflow (not retryable: the same inputs would fail again)."""
    pinned = workflow.sub_workflow(d.workflow_id, d.workflow_version)
    try:
        inputs = resolve_inputs(pinned.definition, d.inputs)
    except InputError as exc:
        error = ErrorInfo(
            kind="invalid_inputs",
            message=f"inputs of sub-workflow '{pinned.definition.workflow_id}': {exc}",
            retryable=False,
        )
        return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)
    child_id = f"{job_id}.{d.node_id}.{d.attempt}"
    return JobStartMessage(
        job_id=child_id,
        workflow=pinned,
        inputs=inputs,
        parent_job_id=job_id,
        asset_id=asset_id,
        engine=engine,
    )


def sub_workflow_completed(d: RunSubWorkflow, returned: Any) -> NodeCompleted:
    """The child job's output is its ``result`` (its provenance stays with the child)."""
    output = returned.get("result") if isinstance(returned, dict) else returned
    return NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=output)


def sub_workflow_failed(d: RunSubWorkflow, message: str) -> NodeFailed:
    error = ErrorInfo(kind="sub_workflow_failed", message=message, retryable=False)
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)


def batch_completed(returned: Any) -> BatchFinished:
    return BatchFinished(result=BatchResult.model_validate(returned))


def batch_failed(batch: BatchStartMessage, message: str) -> BatchFinished:
    """A batch sub-orchestration that failed as a whole fails each of its children."""
    error = ErrorInfo(kind="batch_failed", message=message, retryable=False)
    outcomes = [
        ChildOutcome(node_id=c.node_id, status="failed", attempts=1, error=error)
        for c in batch.children
    ]
    return BatchFinished(result=BatchResult(batch_id=batch.batch_id, outcomes=outcomes))
