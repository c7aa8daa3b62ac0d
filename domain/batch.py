"""Fan-out batches: a wide fan-out's children run in sub-orchestrations of bounded size, so
no single history grows with the fan-out width (README.md, "How it is built").

The parent's evaluator renders every child's params, reserves a range of timeline sequence
numbers for each batch, and hands the batch a `BatchStartMessage`. `BatchRunner` (pure, like the
evaluator) decides within the batch: at most `max_parallel` children in flight, each child's
retries from the node's policy, and one event per transition, numbered inside the range.
The parent then applies the `BatchResult` without recording those events again.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.decisions import (
    BatchResult,
    BatchStartMessage,
    ChildOutcome,
    NodeCompleted,
    NodeFailed,
    RetryDue,
    RunTask,
    ScheduleRetry,
    dispatch_details,
)
from domain.errors import ErrorInfo
from domain.events import EventKind, JobEvent, event_output
from domain.models import RetryPolicy


def events_per_child(policy: RetryPolicy) -> int:
    """The most events one child can record: ready, then per attempt dispatched and an end
    (retrying or final)."""
    return 1 + 2 * policy.max_attempts


class BatchStep(BaseModel):
    dispatch: list[RunTask] = Field(default_factory=list)
    retries: list[ScheduleRetry] = Field(default_factory=list)
    events: list[JobEvent] = Field(default_factory=list)
    finished: BatchResult | None = None


class _Child(BaseModel):
    dispatch: RunTask
    attempt: int = 0
    outcome: ChildOutcome | None = None


class BatchRunner:
    def __init__(self, start: BatchStartMessage) -> None:
        self.start = start
        self.children = {d.node_id: _Child(dispatch=d) for d in start.children}
        self.waiting: deque[str] = deque(d.node_id for d in start.children)
        self.in_flight = 0
        self.seq = start.seq_base
        self.stopped = False

    def begin(self, now: datetime) -> BatchStep:
        step = BatchStep()
        self._fill(step, now)
        self._maybe_finish(step)
        return step

    def apply(self, result: NodeCompleted | NodeFailed | RetryDue, now: datetime) -> BatchStep:
        step = BatchStep()
        if self.stopped:
            return step
        child = self.children.get(result.node_id)
        if (
            child is None
            or child.outcome is not None
            or result.attempt != child.attempt + (1 if isinstance(result, RetryDue) else 0)
        ):
            return step  # stale: an old attempt, or a child already finished
        if isinstance(result, RetryDue):
            self._dispatch(step, child, now)
        elif isinstance(result, NodeCompleted):
            self._end(
                step,
                child,
                now,
                ChildOutcome(
                    node_id=result.node_id,
                    status="completed",
                    attempts=child.attempt,
                    output=result.output,
                ),
            )
        else:
            self._failed(step, child, result, now)
        self._fill(step, now)
        self._maybe_finish(step)
        return step

    def progress(self) -> dict[str, Any]:
        """The batch's custom status: children by outcome, in flight and waiting."""
        counts: dict[str, int] = {}
        for child in self.children.values():
            if child.outcome is not None:
                counts[child.outcome.status] = counts.get(child.outcome.status, 0) + 1
        counts["in_flight"] = self.in_flight
        counts["waiting"] = len(self.waiting)
        return {"batch_id": self.start.batch_id, "counts": counts}

    def stop(self, reason: str | None, now: datetime) -> BatchStep:
        """The parent job ended (cancel, timeout, failure): every unfinished child is
        cancelled, and only those get a `node.cancelled` event (the parent records none for
        a batch's children: it cannot know which of them already finished here)."""
        error = ErrorInfo(kind="cancelled", message=reason or "the job ended", retryable=False)
        step = BatchStep()
        for child in self.children.values():
            if child.outcome is None:
                child.outcome = ChildOutcome(
                    node_id=child.dispatch.node_id,
                    status="cancelled",
                    attempts=child.attempt,
                    error=error,
                )
                attempt = child.attempt or None
                self._emit(step, EventKind.NODE_CANCELLED, child, now, attempt, reason=reason)
        self.waiting.clear()
        self.in_flight = 0
        self.stopped = True
        self._maybe_finish(step)
        return step

    def _failed(self, step: BatchStep, child: _Child, result: NodeFailed, now: datetime) -> None:
        error = result.error
        delay = self.start.retry.retry_delay(error.kind, error.retryable, child.attempt)
        if delay is not None:
            self._emit(
                step,
                EventKind.NODE_RETRYING,
                child,
                now,
                error=error.model_dump(),
                next_attempt=child.attempt + 1,
                delay_seconds=delay,
            )
            step.retries.append(
                ScheduleRetry(
                    node_id=child.dispatch.node_id, attempt=child.attempt + 1, delay_seconds=delay
                )
            )
            return
        status = "timed_out" if result.timed_out else "failed"
        outcome = ChildOutcome(
            node_id=result.node_id, status=status, attempts=child.attempt, error=error
        )
        self._end(step, child, now, outcome)

    def _end(self, step: BatchStep, child: _Child, now: datetime, outcome: ChildOutcome) -> None:
        child.outcome = outcome
        self.in_flight -= 1
        kind = {
            "completed": EventKind.NODE_COMPLETED,
            "failed": EventKind.NODE_FAILED,
            "timed_out": EventKind.NODE_TIMED_OUT,
        }[outcome.status]
        data = (
            {"error": outcome.error.model_dump()} if outcome.error else event_output(outcome.output)
        )
        self._emit(step, kind, child, now, **data)

    def _fill(self, step: BatchStep, now: datetime) -> None:
        while self.waiting and self.in_flight < self.start.max_parallel:
            child = self.children[self.waiting.popleft()]
            self.in_flight += 1
            self._emit(step, EventKind.NODE_READY, child, now, attempt=None)
            self._dispatch(step, child, now)

    def _dispatch(self, step: BatchStep, child: _Child, now: datetime) -> None:
        child.attempt += 1
        dispatch = child.dispatch.model_copy(update={"attempt": child.attempt})
        self._emit(
            step,
            EventKind.NODE_DISPATCHED,
            child,
            now,
            **dispatch_details(dispatch),
            batch=self.start.batch_id,
        )
        step.dispatch.append(dispatch)

    def _emit(
        self,
        step: BatchStep,
        kind: EventKind,
        child: _Child,
        now: datetime,
        /,
        attempt: int | Literal["current"] | None = "current",
        **data: Any,
    ) -> None:
        if self.seq >= self.start.seq_base + self.start.seq_span:
            raise RuntimeError(f"batch {self.start.batch_id} ran out of reserved event numbers")
        step.events.append(
            JobEvent(
                job_id=self.start.job_id,
                seq=self.seq,
                kind=kind,
                at=now,
                node_id=child.dispatch.node_id,
                attempt=child.attempt if attempt == "current" else attempt,
                data=data,
            )
        )
        self.seq += 1

    def _maybe_finish(self, step: BatchStep) -> None:
        if all(c.outcome is not None for c in self.children.values()):
            outcomes = [c.outcome for c in self.children.values() if c.outcome is not None]
            step.finished = BatchResult(batch_id=self.start.batch_id, outcomes=outcomes)
