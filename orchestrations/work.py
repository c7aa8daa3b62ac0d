"""Turns evaluator decisions into durable tasks, and completed tasks back into results.

Every piece of in-flight work is a `Pending` entry: the durable task to wait for, what its
completion means (a list of evaluator `Result`s, decoded by `domain.outcomes`), and the
tasks to forget with it (a timeout timer raced against a handler, for instance). `Work` also
counts what each wake-up newly scheduled (`take_new`), durable waits apart from activities,
for `domain.timeline_writes`. No I/O, clock or randomness here: only the orchestration
context's deterministic API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase, TaskState

from domain.decisions import (
    Dispatch,
    NodeFailed,
    Result,
    RetryDue,
    RunBatch,
    RunHeavyTask,
    RunLightTask,
    RunSubWorkflow,
    ScheduleRetry,
    WaitForApproval,
)
from domain.jobs import CANCEL_EVENT, EngineOptions, RunHandlerMessage
from domain.names import DISPATCH_TASK, FAN_OUT_BATCH, JOB_ORCHESTRATOR, RUN_HANDLER
from domain.outcomes import (
    Timed,
    approval_received,
    attempt_timed_out,
    batch_completed,
    batch_failed,
    cancel_requested,
    start_sub_workflow,
    sub_workflow_completed,
    sub_workflow_failed,
    task_not_run,
    task_outcome,
    task_started,
)
from domain.snapshot import PinnedWorkflow
from domain.tasks import (
    ReplyTo,
    TaskId,
    TaskMessage,
    task_event_name,
    task_started_event_name,
)
from domain.timeline_writes import NewWork

Interpret = Callable[[TaskBase], list[Result]]


@dataclass
class Pending:
    node_id: str
    interpret: Interpret
    partners: list[TaskBase] = field(default_factory=list)  # forgotten when this one wins


def listen_for_cancel(context: df.DurableOrchestrationContext, work: Work) -> None:
    """Wait for the cancel event (`CANCEL_EVENT`, `{by, reason}`) alongside the work."""
    event = context.wait_for_external_event(CANCEL_EVENT)
    work.add_wait(event, Pending("", lambda t: [cancel_requested(t.result)]))


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
        heavy_starts: bool = False,
    ) -> None:
        """``workflow`` pins the sub-workflows a `sub_workflow` node may run, and ``asset_id``
        is handed down to them (jobs only). With ``heavy_starts`` heavy tasks report when the
        worker starts them (`NodeStarted`): jobs, not fan-out batches, whose event numbers
        are reserved per child without it."""
        self.context = context
        self.job_id = job_id
        self.engine = engine
        self.workflow = workflow
        self.asset_id = asset_id
        self.heavy_starts = heavy_starts
        self.pending: dict[TaskBase, Pending] = {}
        self.settled: list[Result] = []  # results known without waiting for a task
        self.child_instances: dict[TaskBase, str] = {}  # sub-orchestration task → instance id
        self.new = NewWork()

    def tasks(self) -> list[TaskBase]:
        return list(self.pending)

    def add(self, task: TaskBase, entry: Pending) -> None:
        """Wait for ``task`` too, without counting it as new work (a timeline write)."""
        self.pending[task] = entry

    def add_wait(self, task: TaskBase, entry: Pending) -> None:
        """A durable timer, external event or sub-orchestration: it may last for days."""
        self.add(task, entry)
        self.new.waits += 1

    def add_activity(self, task: TaskBase, entry: Pending) -> None:
        self.add(task, entry)
        self.new.activities += 1

    def take_new(self) -> NewWork:
        """What was added since the last call, timeline writes aside."""
        new, self.new = self.new, NewWork()
        return new

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
        self.add_wait(timer, Pending(retry.node_id, lambda _t: [due]))

    def dispatch(self, d: Dispatch) -> None:
        if isinstance(d, RunLightTask):
            self._light(d)
        elif isinstance(d, RunHeavyTask):
            self._heavy(d)
        elif isinstance(d, WaitForApproval):
            self._approval(d)
        elif isinstance(d, RunSubWorkflow):
            self._sub_workflow(d)
        else:
            self._batch(d)

    def _race(
        self,
        d: Timed,
        work: TaskBase,
        interpret: Interpret,
        extra: list[TaskBase] | None = None,
        *,
        durable_wait: bool = True,
    ) -> None:
        """Wait for ``work`` (an activity unless ``durable_wait``); with a timeout, race a
        durable timer against it."""
        extra = extra or []
        add = self.add_wait if durable_wait else self.add_activity
        if d.timeout_seconds is None:
            add(work, Pending(d.node_id, interpret, extra))
            return
        fire_at = self.context.current_utc_datetime + timedelta(seconds=d.timeout_seconds)
        timer = self.context.create_timer(fire_at)
        add(work, Pending(d.node_id, interpret, [timer, *extra]))
        timed_out = attempt_timed_out(d, d.timeout_seconds)
        self.add_wait(timer, Pending(d.node_id, lambda _t: [timed_out], [work, *extra]))

    def _light(self, d: RunLightTask) -> None:
        message = RunHandlerMessage(
            task_id=TaskId(job_id=self.job_id, node_id=d.node_id, attempt=d.attempt),
            handler=d.handler,
            params=d.params,
            large_output_bytes=self.engine.large_output_bytes,
        )
        task = self.context.call_activity(RUN_HANDLER, message.model_dump(mode="json"))

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                return [task_not_run(d, "activity_failed", str(t.result))]
            return [task_outcome(d, t.result)]

        self._race(d, task, interpret, durable_wait=False)

    def _heavy(self, d: RunHeavyTask) -> None:
        event_name = task_event_name(d.node_id, d.attempt)
        started_name = task_started_event_name(d.node_id, d.attempt) if self.heavy_starts else None
        message = TaskMessage(
            task_id=TaskId(job_id=self.job_id, node_id=d.node_id, attempt=d.attempt),
            handler=d.handler,
            params=d.params,
            timeout_seconds=d.timeout_seconds,
            reply_to=ReplyTo(
                instance_id=self.context.instance_id,
                event_name=event_name,
                task_hub=self.engine.task_hub,
                started_event_name=started_name,
            ),
            large_output_bytes=self.engine.large_output_bytes,
        )
        sent = self.context.call_activity(DISPATCH_TASK, message.model_dump(mode="json"))
        result = self.context.wait_for_external_event(event_name)

        def on_sent(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                self.abandon([d.node_id])  # the event wait and its timer
                return [task_not_run(d, "dispatch_failed", str(t.result))]
            return []

        self.add_activity(sent, Pending(d.node_id, on_sent))
        partners = [sent]
        if started_name is not None:
            # An external event wait schedules nothing the history records, so waiting for
            # it too replays the same for jobs started before it existed.
            started = self.context.wait_for_external_event(started_name)
            self.add_wait(started, Pending(d.node_id, lambda t: [task_started(d, t.result)]))
            partners.append(started)
        self._race(d, result, lambda t: [task_outcome(d, t.result)], partners)

    def _approval(self, d: WaitForApproval) -> None:
        event = self.context.wait_for_external_event(d.event_name)
        self._race(d, event, lambda t: [approval_received(d, t.result)])

    def _sub_workflow(self, d: RunSubWorkflow) -> None:
        if self.workflow is None:
            raise RuntimeError("sub-workflows run only inside a job")
        child = start_sub_workflow(
            d, self.workflow, job_id=self.job_id, asset_id=self.asset_id, engine=self.engine
        )
        if isinstance(child, NodeFailed):
            self.settled.append(child)
            return
        task = self.context.call_sub_orchestrator(
            JOB_ORCHESTRATOR, child.model_dump(mode="json"), child.job_id
        )
        self.child_instances[task] = child.job_id

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                return [sub_workflow_failed(d, str(t.result))]
            return [sub_workflow_completed(d, t.result)]

        self._race(d, task, interpret)

    def _batch(self, d: RunBatch) -> None:
        batch = d.batch.model_copy(update={"engine": self.engine})
        instance = f"{self.job_id}.{batch.batch_id}"
        task = self.context.call_sub_orchestrator(
            FAN_OUT_BATCH, batch.model_dump(mode="json"), instance
        )
        self.child_instances[task] = instance

        def interpret(t: TaskBase) -> list[Result]:
            if t.state is TaskState.FAILED:
                return [batch_failed(batch, str(t.result))]
            return [batch_completed(t.result)]

        self.add_wait(task, Pending(d.node_id, interpret))
