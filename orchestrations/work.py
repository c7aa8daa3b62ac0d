"""Turns evaluator decisions into durable tasks, and completed tasks back into results.

Every piece of in-flight work is a `Pending` entry: the durable task to wait for, what its
completion means (a list of evaluator `Result`s), and the tasks to forget with it (a timeout
timer raced against a handler, for instance). No I/O, clock or randomness here: only the
orchestration context's deterministic API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase, TaskState

from domain.decisions import (
    ApprovalReceived,
    BatchFinished,
    BatchResult,
    CancelRequested,
    ChildOutcome,
    Dispatch,
    NodeCompleted,
    NodeFailed,
    Result,
    RetryDue,
    ScheduleRetry,
)
from domain.inputs import InputError, resolve_inputs
from domain.jobs import CANCEL_EVENT, EngineOptions, JobStart, RunHandler
from domain.names import DISPATCH_TASK, FAN_OUT_BATCH, JOB_ORCHESTRATOR, RUN_HANDLER
from domain.snapshot import PinnedWorkflow
from domain.state import NodeError
from domain.tasks import ReplyTo, TaskId, TaskMessage, TaskResult, task_event_name

Interpret = Callable[[TaskBase], list[Result]]


@dataclass
class Pending:
    node_id: str
    interpret: Interpret
    partners: list[TaskBase] = field(default_factory=list)  # forgotten when this one wins


def event_payload(value: Any) -> Any:
    """An external event's data. The Python client's `raise_event` double-encodes (a dict
    arrives as its JSON text, azure-functions-durable-python#295); the HTTP API does not."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def failure(task: TaskBase, kind: str) -> NodeError:
    """A durable task that failed (the activity itself raised, or a sub-orchestration failed)."""
    return NodeError(kind=kind, message=str(task.result), retryable=True)


def listen_for_cancel(context: df.DurableOrchestrationContext, work: Work) -> None:
    """Wait for the cancel event (`CANCEL_EVENT`, `{by, reason}`) alongside the work."""
    event = context.wait_for_external_event(CANCEL_EVENT)

    def interpret(t: TaskBase) -> list[Result]:
        payload = event_payload(t.result)
        body = payload if isinstance(payload, dict) else {}
        return [CancelRequested(by=body.get("by"), reason=body.get("reason"))]

    work.add(event, Pending("", interpret))


class Work:
    """The in-flight durable tasks of one orchestration."""

    def __init__(
        self,
        context: df.DurableOrchestrationContext,
        job_id: str,
        engine: EngineOptions,
        workflow: PinnedWorkflow | None = None,
        *,
        asset_id: str | None = None,
    ) -> None:
        """``workflow`` pins the sub-workflows a `sub_workflow` node may run, and ``asset_id``
        is handed down to them (jobs only)."""
        self.context = context
        self.job_id = job_id
        self.engine = engine
        self.workflow = workflow
        self.asset_id = asset_id
        self.pending: dict[TaskBase, Pending] = {}
        self.settled: list[Result] = []  # results known without waiting for a task
        self.child_instances: dict[TaskBase, str] = {}  # sub-orchestration task → instance id

    def tasks(self) -> list[TaskBase]:
        return list(self.pending)

    def add(self, task: TaskBase, entry: Pending) -> None:
        self.pending[task] = entry

    def take(self, task: TaskBase) -> list[Result]:
        """Forget ``task`` and its partners (cancelling timers) and interpret it."""
        entry = self.pending.pop(task)
        for partner in entry.partners:
            self._forget(partner)
        return entry.interpret(task)

    def abandon(self, node_ids: list[str]) -> None:
        doomed = set(node_ids)
        for task in [t for t, p in self.pending.items() if p.node_id in doomed]:
            self._forget(task)

    def take_settled(self) -> list[Result]:
        settled, self.settled = self.settled, []
        return settled

    def running_children(self) -> list[str]:
        """Instance ids of the sub-orchestrations started and not finished (also those the
        evaluator abandoned: they run on until told to stop)."""
        return [iid for task, iid in self.child_instances.items() if not task.is_completed]

    def cancel_timers(self) -> None:
        """Pending timers keep an orchestration open; cancel them before it returns."""
        for task in list(self.pending):
            if isinstance(task, df.models.Task.TimerTask):
                self._forget(task)

    def _forget(self, task: TaskBase) -> None:
        self.pending.pop(task, None)
        if isinstance(task, df.models.Task.TimerTask) and task.state is TaskState.RUNNING:
            task.cancel()

    # --- decisions to tasks -------------------------------------------------------------

    def retry_timer(self, retry: ScheduleRetry) -> None:
        fire_at = self.context.current_utc_datetime + timedelta(seconds=retry.delay_seconds)
        timer = self.context.create_timer(fire_at)
        due = RetryDue(node_id=retry.node_id, attempt=retry.attempt)
        self.add(timer, Pending(retry.node_id, lambda _t: [due]))

    def dispatch(self, d: Dispatch) -> None:
        if d.kind == "batch":
            self._batch(d)
        elif d.kind == "approval":
            self._approval(d)
        elif d.kind == "sub_workflow":
            self._sub_workflow(d)
        elif d.queue == "heavy":
            self._heavy(d)
        else:
            self._light(d)

    def _race(
        self, d: Dispatch, work: TaskBase, interpret: Interpret, extra: list[TaskBase] | None = None
    ) -> None:
        """Wait for ``work``; with a timeout, race a durable timer against it."""
        extra = extra or []
        if d.timeout_seconds is None:
            self.add(work, Pending(d.node_id, interpret, extra))
            return
        fire_at = self.context.current_utc_datetime + timedelta(seconds=d.timeout_seconds)
        timer = self.context.create_timer(fire_at)
        self.add(work, Pending(d.node_id, interpret, [timer, *extra]))
        timed_out = NodeFailed(
            node_id=d.node_id,
            attempt=d.attempt,
            timed_out=True,
            error=NodeError(
                kind="timeout",
                message=f"attempt {d.attempt} timed out after {d.timeout_seconds:g}s",
            ),
        )
        self.add(timer, Pending(d.node_id, lambda _t: [timed_out], [work, *extra]))

    def _light(self, d: Dispatch) -> None:
        message = RunHandler(
            job_id=self.job_id,
            node_id=d.node_id,
            attempt=d.attempt,
            handler=d.handler or "",
            params=d.params,
            large_output_bytes=self.engine.large_output_bytes,
        )
        task = self.context.call_activity(RUN_HANDLER, message.model_dump(mode="json"))

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                return [
                    NodeFailed(
                        node_id=d.node_id, attempt=d.attempt, error=failure(t, "activity_failed")
                    )
                ]
            return [outcome_result(d, t.result)]

        self._race(d, task, interpret)

    def _heavy(self, d: Dispatch) -> None:
        event_name = task_event_name(d.node_id, d.attempt)
        message = TaskMessage(
            task_id=TaskId(job_id=self.job_id, node_id=d.node_id, attempt=d.attempt),
            handler=d.handler or "",
            params=d.params,
            timeout_seconds=d.timeout_seconds,
            reply_to=ReplyTo(
                instance_id=self.context.instance_id,
                event_name=event_name,
                task_hub=self.engine.task_hub,
            ),
            large_output_bytes=self.engine.large_output_bytes,
        )
        sent = self.context.call_activity(DISPATCH_TASK, message.model_dump(mode="json"))
        result = self.context.wait_for_external_event(event_name)

        def on_sent(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                self.abandon([d.node_id])  # the event wait and its timer
                return [
                    NodeFailed(
                        node_id=d.node_id, attempt=d.attempt, error=failure(t, "dispatch_failed")
                    )
                ]
            return []

        self.add(sent, Pending(d.node_id, on_sent))
        self._race(d, result, lambda t: [task_result(d, event_payload(t.result))], [sent])

    def _approval(self, d: Dispatch) -> None:
        event = self.context.wait_for_external_event(d.event_name or "")

        def interpret(t: TaskBase) -> list[Result]:
            payload = event_payload(t.result)
            body = payload if isinstance(payload, dict) else {}
            return [
                ApprovalReceived(
                    node_id=d.node_id,
                    approved=bool(body.get("approved")),
                    by=body.get("by"),
                    reason=body.get("reason"),
                )
            ]

        self._race(d, event, interpret)

    def _sub_workflow(self, d: Dispatch) -> None:
        assert self.workflow is not None, "sub-workflows run only inside a job"
        pinned = self.workflow.sub_workflow(d.workflow_id or "", d.workflow_version)
        try:
            inputs = resolve_inputs(pinned.definition, d.params)
        except InputError as exc:
            error = NodeError(
                kind="invalid_inputs",
                message=f"inputs of sub-workflow '{pinned.definition.workflow_id}': {exc}",
                retryable=False,
            )
            self.settled.append(NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error))
            return
        child_id = f"{self.job_id}.{d.node_id}.{d.attempt}"
        child = JobStart(
            job_id=child_id,
            workflow=pinned,
            inputs=inputs,
            parent_job_id=self.job_id,
            asset_id=self.asset_id,
            engine=self.engine,
        )
        task = self.context.call_sub_orchestrator(
            JOB_ORCHESTRATOR, child.model_dump(mode="json"), child_id
        )
        self.child_instances[task] = child_id

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                return [
                    NodeFailed(
                        node_id=d.node_id,
                        attempt=d.attempt,
                        error=NodeError(
                            kind="sub_workflow_failed", message=str(t.result), retryable=False
                        ),
                    )
                ]
            output = t.result.get("result") if isinstance(t.result, dict) else t.result
            return [NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=output)]

        self._race(d, task, interpret)

    def _batch(self, d: Dispatch) -> None:
        assert d.batch is not None
        batch = d.batch.model_copy(update={"engine": self.engine})
        instance = f"{self.job_id}.{batch.batch_id}"
        task = self.context.call_sub_orchestrator(
            FAN_OUT_BATCH, batch.model_dump(mode="json"), instance
        )
        self.child_instances[task] = instance

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                error = NodeError(kind="batch_failed", message=str(t.result), retryable=False)
                outcomes = [
                    ChildOutcome(node_id=c.node_id, status="failed", attempts=1, error=error)
                    for c in batch.children
                ]
                return [
                    BatchFinished(result=BatchResult(batch_id=batch.batch_id, outcomes=outcomes))
                ]
            return [BatchFinished(result=BatchResult.model_validate(t.result))]

        self.add(task, Pending(d.node_id, interpret))


def outcome_result(d: Dispatch, raw: Any) -> Result:
    from domain.jobs import HandlerOutcome

    outcome = HandlerOutcome.model_validate(raw)
    if outcome.ok:
        return NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=outcome.output)
    error = outcome.error or NodeError(kind="unknown", message="handler failed")
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)


def task_result(d: Dispatch, raw: Any) -> Result:
    """The heavy worker's `TaskResult` (the external event's payload) as an evaluator result."""
    try:
        result = TaskResult.model_validate(raw)
    except ValueError as exc:
        error = NodeError(kind="bad_task_result", message=f"unreadable task result: {exc}")
        return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)
    if result.status == "completed":
        return NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=result.output)
    err = result.error
    error = NodeError(
        kind=err.kind if err else "task_failed",
        message=err.message if err else "task failed",
        retryable=err.retryable if err else True,
    )
    return NodeFailed(node_id=d.node_id, attempt=d.attempt, error=error)
