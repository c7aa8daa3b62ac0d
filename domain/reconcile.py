"""When the catalog must learn that a job's Durable instance ended without the orchestrator
saying so: a Durable `terminate` (the management API, the portal), or a failure outside the
orchestrator's own code (its function crashed, the host gave up on it), or an instance that
is gone (purged). The orchestrator records every end it decides itself, so those never
reach this decision.

`reconcile` is pure: the timer-triggered reconciler feeds it the catalog's job, its
unfinished nodes and the instance's Durable status, and stores the events it returns: each
unfinished node cancelled, then the job's final event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from domain.events import EventKind, JobEvent
from domain.status import JobStatus

# Above any seq an orchestrator assigns, so the projection's "newer seq wins" guard lets
# these statuses stand even if a batch of events still in flight lands after them; and the
# same for every run from the same state, so reconciling twice stores nothing new.
RECONCILED_SEQ = 2**52
# Only a started job (running) can have lost its instance (purged). Even so, wait this long
# after its creation before calling it gone, so a status read racing the start is no verdict.
MISSING_INSTANCE_GRACE = timedelta(minutes=5)


class OpenNode(BaseModel):
    """A node whose latest attempt the catalog has not seen end."""

    node_id: str
    attempt: int


class InstanceStatus(BaseModel):
    """What the Durable status endpoint says of a job's instance (None: no such instance)."""

    runtime_status: str | None
    output: Any = None


def reconcile(
    job_id: str,
    status: JobStatus,
    created_at: datetime,
    instance: InstanceStatus,
    now: datetime,
    open_nodes: Sequence[OpenNode] = (),
) -> list[JobEvent]:
    """The events that end the job and its unfinished nodes; none when the catalog is right
    (or it is too early to say)."""
    if status.is_final:
        return []
    if instance.runtime_status is None and status is not JobStatus.RUNNING:
        return []  # never started: a resubmission with its request_id starts it
    ended = _job_end(instance, now - created_at)
    if ended is None:
        return []
    kind, data = ended
    events = [
        JobEvent(
            job_id=job_id,
            seq=RECONCILED_SEQ + i,
            kind=EventKind.NODE_CANCELLED,
            at=now,
            node_id=node.node_id,
            attempt=node.attempt,
            data={"reason": "the job's Durable instance ended"},
        )
        for i, node in enumerate(sorted(open_nodes, key=lambda n: n.node_id))
    ]
    seq = RECONCILED_SEQ + len(events)
    return [*events, JobEvent(job_id=job_id, seq=seq, kind=kind, at=now, data=data)]


def _job_end(instance: InstanceStatus, age: timedelta) -> tuple[EventKind, dict[str, Any]] | None:
    match instance.runtime_status:
        case "Terminated":
            reason = f"the Durable instance was terminated: {_text(instance.output)}"
            return EventKind.JOB_CANCELLED, {"by": "durable", "reason": reason}
        case "Canceled":
            return EventKind.JOB_CANCELLED, {"by": "durable", "reason": "the instance was canceled"}
        case "Failed":
            message = f"the orchestration failed outside its own code: {_text(instance.output)}"
            error = {"kind": "orchestration_failed", "message": message, "retryable": False}
            return EventKind.JOB_FAILED, {"error": error}
        case None if age > MISSING_INSTANCE_GRACE:
            message = "the job's Durable instance no longer exists (purged?)"
            error = {"kind": "instance_missing", "message": message, "retryable": False}
            return EventKind.JOB_FAILED, {"error": error}
        case _:
            return None


def _text(output: Any) -> str:
    text = output if isinstance(output, str) else repr(output)
    return text if len(text) <= 500 else text[:500] + "..."
