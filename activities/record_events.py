"""`record_events`: one episode's timeline events and progress, in one catalog transaction.

Idempotent: events are keyed `job_id:seq`, so a replayed or retried call writes nothing twice.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

import wiring
from adapters.catalog import JobRecord
from domain.jobs import RecordEventsMessage
from domain.names import RECORD_EVENTS

bp = df.Blueprint()


def record(batch: RecordEventsMessage) -> int:
    catalog = wiring.catalog()
    if batch.create is not None:
        # The catalog keeps no parent link (yet): the child's id names its parent.
        row = batch.create.model_dump(mode="json", exclude={"parent_job_id"})
        catalog.create_job(JobRecord.model_validate(row))
    written = catalog.record_events(batch.events)
    if batch.progress is not None:
        catalog.update_progress(batch.job_id, batch.progress)
    return written


@bp.activity_trigger(input_name="batch", activity=RECORD_EVENTS)
def record_events(batch: dict[str, Any]) -> int:
    return record(RecordEventsMessage.model_validate(batch))
