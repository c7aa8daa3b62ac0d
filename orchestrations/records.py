"""Timeline writes from orchestrations, batched: at most one `record_events` activity is in
flight; events that arrive meanwhile wait and go out together when it completes, or before
the orchestration starts durable waits (`domain.timeline_writes`).

The rules depend only on the history (did the last write complete?), so they replay the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from domain.events import JobEvent
from domain.jobs import ChildJobRecord, RecordEventsMessage
from domain.names import RECORD_EVENTS
from domain.timeline_writes import NewWork, write_before_waiting
from orchestrations.work import Pending, Work

# The catalog write is retried by the host; a job does not fail because a write was slow.
_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=5)


class Recorder:
    def __init__(self, context: df.DurableOrchestrationContext, work: Work, job_id: str) -> None:
        self.context = context
        self.work = work
        self.job_id = job_id
        self.buffer: list[JobEvent] = []
        self.progress: dict[str, Any] | None = None
        self.create: ChildJobRecord | None = None
        self.writing: TaskBase | None = None

    def record(
        self,
        events: list[JobEvent],
        progress: dict[str, Any] | None = None,
        create: ChildJobRecord | None = None,
    ) -> None:
        self.buffer += events
        self.progress = progress if progress is not None else self.progress
        self.create = create or self.create
        self.flush()

    def flush(self) -> None:
        """Write what is buffered unless a write is still in flight (it flushes when done)."""
        if self.in_flight() is not None:
            return
        if not self.buffer and self.create is None:
            return
        batch = RecordEventsMessage(
            job_id=self.job_id, events=self.buffer, progress=self.progress, create=self.create
        )
        self.buffer, self.create = [], None
        task = self.context.call_activity_with_retry(
            RECORD_EVENTS, _RETRY, batch.model_dump(mode="json")
        )
        self.writing = task
        # Scheduled with the next wait (the SDK schedules a task when it is yielded); when it
        # completes, the loop wakes and flushes whatever arrived meanwhile.
        self.work.add(task, Pending("", lambda _t: []))

    def in_flight(self) -> TaskBase | None:
        return self.writing if self.writing is not None and not self.writing.is_completed else None

    def before_waiting(self, new: NewWork, revision: int) -> Generator[Any, Any, None]:
        """Write what is buffered before the orchestration waits, if ``new`` (this wake-up's
        new work) is only durable waits that would hold the write back (`domain.timeline_writes`):
        wait for the write in flight, then hand the buffer to a new one."""
        writing = self.in_flight()
        buffered = bool(self.buffer) or self.create is not None
        if not write_before_waiting(
            new, buffered=buffered, write_in_flight=writing is not None, revision=revision
        ):
            return
        assert writing is not None
        # Already scheduled: waiting for it adds no action. A failed write is dropped, as in
        # `flush`; the job does not fail for it.
        with contextlib.suppress(Exception):
            yield writing
        self.work.take(writing)
        self.flush()

    def drain(self) -> TaskBase | None:
        """The last write, once everything buffered has been handed to one."""
        if (writing := self.in_flight()) is not None:
            return writing
        self.flush()
        return self.in_flight()
