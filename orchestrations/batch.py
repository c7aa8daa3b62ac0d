"""The fan-out batch sub-orchestration: runs up to `batch_size` children of a wide fan-out
with the node's retry policy and timeouts, records their events, returns their outcomes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from domain.batch import BatchRunner, BatchStep
from domain.decisions import BatchStartMessage, CancelRequested, NodeCompleted, NodeFailed, RetryDue
from domain.names import FAN_OUT_BATCH
from orchestrations.records import Recorder
from orchestrations.work import Work, listen_for_cancel

bp = df.Blueprint()


def run_batch(
    context: df.DurableOrchestrationContext, start: BatchStartMessage
) -> Generator[Any, Any, dict[str, Any]]:
    runner = BatchRunner(start)
    work = Work(context, start.job_id, start.engine)
    recorder = Recorder(context, work, start.job_id)
    listen_for_cancel(context, work)
    step = runner.begin(context.current_utc_datetime)
    while True:
        for retry in step.retries:
            work.retry_timer(retry)
        for dispatch in step.dispatch:
            work.dispatch(dispatch)
        recorder.record(step.events)
        context.set_custom_status(runner.progress())
        if step.finished is not None:
            break
        yield from recorder.before_waiting(work.take_new(), start.engine.orchestrator_revision)
        winner = yield context.task_any(work.tasks())
        step = BatchStep()
        for result in work.take(winner):
            if isinstance(result, CancelRequested):
                step = runner.stop(result.reason, context.current_utc_datetime)
                break
            assert isinstance(result, NodeCompleted | NodeFailed | RetryDue)
            step = runner.apply(result, context.current_utc_datetime)
    work.cancel_timers()
    while (writing := recorder.drain()) is not None:
        yield writing
    return step.finished.model_dump(mode="json")


@bp.orchestration_trigger(context_name="context", orchestration=FAN_OUT_BATCH)
def fan_out_batch(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    return (yield from run_batch(context, BatchStartMessage.model_validate(context.get_input())))
