"""Timeline writes from orchestrations: one `record_events` activity per wake-up."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from domain.events import JobEvent
from domain.jobs import RecordEvents
from orchestrations.names import RECORD_EVENTS
from orchestrations.work import Pending, Work

# The catalog write is retried by the host; a job does not fail because a write was slow.
_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=5)


class Recorder:
    def __init__(self, context: df.DurableOrchestrationContext, work: Work, job_id: str) -> None:
        self.context = context
        self.work = work
        self.job_id = job_id
        self.tasks: list[TaskBase] = []

    def record(
        self,
        events: list[JobEvent],
        progress: dict[str, Any] | None = None,
        create: dict[str, Any] | None = None,
    ) -> None:
        batch = RecordEvents(job_id=self.job_id, events=events, progress=progress, create=create)
        task = self.context.call_activity_with_retry(
            RECORD_EVENTS, _RETRY, batch.model_dump(mode="json")
        )
        # Not awaited on its own: the SDK schedules a task when it is yielded, so it goes out
        # with the next wait, is written while the work runs, and is awaited at the end.
        self.tasks.append(task)
        self.work.add(task, Pending("", lambda _t: []))

    def unwritten(self) -> list[TaskBase]:
        return [t for t in self.tasks if not t.is_completed]
