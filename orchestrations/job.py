"""The generic job orchestrator: runs any pinned workflow.

It loops: apply the evaluator's decisions as durable tasks, wait for the first in-flight
task to finish (`task_any`), feed what it means back to the evaluator. Each wake-up's
timeline events go to the catalog in one `record_events` activity call. All decisions come
from `domain.evaluator`; this module only speaks the Durable Functions API. A job of an
asset (`domain.asset_flow.reports_to_asset`) reports its start and its end to the asset
through the `asset_command` sub-orchestration.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from domain.asset_flow import (
    AssetCommandInput,
    job_finished_report,
    job_started_report,
    report_instance_id,
    reports_to_asset,
)
from domain.decisions import JobTimedOut, Step
from domain.evaluator import Evaluator
from domain.jobs import ChildJobRecord, JobFailed, JobStartMessage, StopInstancesMessage
from domain.names import ASSET_COMMAND, JOB_ORCHESTRATOR, STOP_INSTANCES
from domain.state import JobInfo, JobState
from domain.status import JobStatus
from orchestrations.records import Recorder
from orchestrations.work import Pending, Work, listen_for_cancel

bp = df.Blueprint()


class JobRun:
    def __init__(self, context: df.DurableOrchestrationContext, start: JobStartMessage) -> None:
        self.context = context
        self.start = start
        self.evaluator = Evaluator(
            start.workflow.definition,
            batch_threshold=start.engine.batch_threshold,
            batch_size=start.engine.batch_size,
            max_fan_out=start.engine.max_fan_out,
        )
        self.work = Work(
            context,
            start.job_id,
            start.engine,
            start.workflow,
            asset_id=start.asset_id,
            heavy_starts=True,
        )
        self.recorder = Recorder(context, self.work, start.job_id)

    def run(self) -> Generator[Any, Any, dict[str, Any]]:
        definition = self.start.workflow.definition
        reports = reports_to_asset(self.start.asset_id, self.start.parent_job_id)
        asset_id = self.start.asset_id if reports else None
        if asset_id is not None:
            now = self.context.current_utc_datetime
            yield from self._report(job_started_report(asset_id, self.start.job_id, now))
        job = JobInfo(
            id=self.start.job_id,
            workflow_id=definition.workflow_id,
            version=definition.version,
            workflow_hash=self.start.workflow.hash,
        )
        state, step = self.evaluator.start(
            job, self.start.inputs, self.context.current_utc_datetime
        )
        listen_for_cancel(self.context, self.work)
        self._job_timer()
        first = True
        while True:
            self._apply(step, state, create=first and self.start.parent_job_id is not None)
            first = False
            if step.finished is not None:
                break
            new = self.work.take_new()
            yield from self.recorder.before_waiting(new, self.start.engine.orchestrator_revision)
            results = self.work.take_settled()  # decided while dispatching, e.g. bad inputs
            if not results:
                winner = yield self.context.task_any(self.work.tasks())
                results = self.work.take(winner)
            if results:
                step = self.evaluator.step(state, results, self.context.current_utc_datetime)
            else:
                step = Step()
        orphans = self.work.running_children()
        self.work.cancel_timers()
        while (writing := self.recorder.drain()) is not None:
            yield writing
        if orphans:
            yield from self._stop_children(orphans, state)
        if asset_id is not None:
            yield from self._report(self._finished_report(asset_id, step))
        return self._finish(state, step)

    def _finished_report(self, asset_id: str, step: Step) -> AssetCommandInput:
        finished = step.finished
        assert finished is not None
        error = finished.error.model_dump(mode="json") if finished.error else None
        now = self.context.current_utc_datetime
        status = finished.status.value
        return job_finished_report(asset_id, self.start.job_id, now, status, finished.output, error)

    def _report(self, message: AssetCommandInput) -> Generator[Any, Any, None]:
        """Tell the job's asset version that the job started or ended (`asset_command`)."""
        instance_id = report_instance_id(self.start.job_id, message.command.kind)
        try:
            yield self.context.call_sub_orchestrator(
                ASSET_COMMAND, message.model_dump(mode="json"), instance_id
            )
        except Exception:  # the job's outcome stands; the version keeps its previous state
            return

    def _stop_children(self, instance_ids: list[str], state: JobState) -> Generator[Any, Any, None]:
        """The job ended with batches or sub-workflows still running: they get the cancel
        event (their nodes are already final here), so they stop instead of running on."""
        reason = f"job {self.start.job_id} ended {state.status.value}"
        message = StopInstancesMessage(instance_ids=instance_ids, reason=reason)
        try:
            yield self.context.call_activity(STOP_INSTANCES, message.model_dump(mode="json"))
        except Exception:  # the job's outcome stands; unstopped children still end on their own
            return

    def _job_timer(self) -> None:
        timeout = self.start.workflow.definition.timeout
        if timeout is None:
            return
        timer = self.context.create_timer(self.context.current_utc_datetime + timeout)
        self.work.add_wait(timer, Pending("", lambda _t: [JobTimedOut()]))

    def _apply(self, step: Step, state: JobState, *, create: bool) -> None:
        self.work.abandon(step.abandon)
        for retry in step.retries:
            self.work.retry_timer(retry)
        for dispatch in step.dispatch:
            self.work.dispatch(dispatch)
        progress = state.progress()
        self.context.set_custom_status(progress)
        self.recorder.record(
            step.events, progress, ChildJobRecord.of(self.start) if create else None
        )

    def _finish(self, state: JobState, step: Step) -> dict[str, Any]:
        finished = step.finished
        assert finished is not None
        if finished.status is JobStatus.FAILED:
            message = finished.error.message if finished.error else "job failed"
            raise JobFailed(f"job {self.start.job_id} failed: {message}")
        return {
            "status": finished.status.value,
            "result": finished.output,
            "provenance": finished.provenance,
            "error": finished.error.model_dump() if finished.error else None,
        }


@bp.orchestration_trigger(context_name="context", orchestration=JOB_ORCHESTRATOR)
def job_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    start = JobStartMessage.model_validate(context.get_input())
    return (yield from JobRun(context, start).run())


__all__ = ["bp", "job_orchestrator"]
