"""When an orchestration must write its buffered timeline events before it waits.

Orchestrations write their timeline in batches: at most one `record_events` activity is in
flight, and events decided meanwhile wait for it (`orchestrations.records.Recorder`).

The Functions host replays an out-of-process orchestrator's actions one after another and
awaits each (`OutOfProcOrchestrationShim.ProcessAsyncActionsV2`; devhost's shadow replay does
the same). What one `task_any` newly schedules is one action, and nothing yielded later is
scheduled before one of that action's tasks has completed. A `task_any` that newly schedules
only durable waits (timers, external events, sub-orchestrations) therefore holds back every
later action, the next timeline write included, until a wait ends: an approval, a retry
back-off, a child job. Until then the catalog shows the job as it was before the wait.

So such a `task_any` carries the buffered events' write itself: when the earlier write is
still in flight, the orchestration first waits for it (it is already scheduled, so waiting
adds no action), then writes the buffer alongside the new waits. Waits scheduled together
with an activity (a light handler, a heavy task's dispatch) need nothing: the activity ends
soon and lets the host move on.

This changes what is scheduled for a given history, so it applies only to jobs started with
`ORCHESTRATOR_REVISION` 2 or later (`domain.jobs.EngineOptions.orchestrator_revision`): a job
started before keeps replaying the history it recorded.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

WRITES_BEFORE_WAITS = 2
"""The orchestrator revision that writes the timeline before a durable wait."""


class NewWork(BaseModel):
    """What one wake-up of an orchestration newly scheduled, its timeline write aside."""

    waits: int = Field(default=0, ge=0)  # durable timers, external events, sub-orchestrations
    activities: int = Field(default=0, ge=0)


def write_before_waiting(
    new: NewWork, *, buffered: bool, write_in_flight: bool, revision: int
) -> bool:
    """True if the orchestration must wait for the write in flight and then write what is
    ``buffered`` before it waits: its new work is only durable waits, which would otherwise
    keep the buffered events out of the catalog for as long as they last."""
    if revision < WRITES_BEFORE_WAITS:
        return False
    return new.waits > 0 and new.activities == 0 and buffered and write_in_flight
