"""Timeline writes from orchestrations, batched: at most one `record_events` activity is in
flight; events that arrive meanwhile wait and go out together when it completes.

The rule depends only on the history (did the last write complete?), so it replays the same.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from domain.events import JobEvent
from domain.jobs import ChildJobRecord, RecordEventsMessage
from domain.names import RECORD_EVENTS
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
        if self.writing is not None and not self.writing.is_completed:
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

    def drain(self) -> TaskBase | None:
        """The last write, once everything buffered has been handed to one."""
        if self.writing is not None and not self.writing.is_completed:
            return self.writing
        self.flush()
        return self.writing if self.writing is not None and not self.writing.is_completed else None
