"""When the catalog must learn that a job's Durable instance ended without the orchestrator
saying so: a Durable `terminate` (the management API, the portal), or a failure outside the
orchestrator's own code (its function crashed, the host gave up on it), or an instance that
is gone (purged). The orchestrator records every end it decides itself, so those never
reach this decision.

`reconcile` is pure: the timer-triggered reconciler feeds it the catalog's job and the
instance's Durable status and stores the event it returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from domain.events import EventKind, JobEvent
from domain.status import JobStatus

# Above any seq an orchestrator assigns, so the projection's "newer seq wins" guard lets
# this final status stand even if a batch of events still in flight lands after it; and
# the same for every run, so a second reconciliation of the same job is a no-op.
RECONCILED_SEQ = 2**53
# A job whose instance is not found yet may simply not have started: wait this long.
MISSING_INSTANCE_GRACE = timedelta(minutes=5)


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
) -> JobEvent | None:
    """The job's final event, or None when the catalog is right (or it is too early to say)."""
    if status.is_final:
        return None

    def end(kind: EventKind, **data: Any) -> JobEvent:
        return JobEvent(job_id=job_id, seq=RECONCILED_SEQ, kind=kind, at=now, data=data)

    match instance.runtime_status:
        case "Terminated":
            reason = f"the Durable instance was terminated: {_text(instance.output)}"
            return end(EventKind.JOB_CANCELLED, by="durable", reason=reason)
        case "Canceled":
            return end(EventKind.JOB_CANCELLED, by="durable", reason="the instance was canceled")
        case "Failed":
            message = f"the orchestration failed outside its own code: {_text(instance.output)}"
            error = {"kind": "orchestration_failed", "message": message, "retryable": False}
            return end(EventKind.JOB_FAILED, error=error)
        case None if now - created_at > MISSING_INSTANCE_GRACE:
            message = "the job's Durable instance does not exist (purged, or never started)"
            error = {"kind": "instance_missing", "message": message, "retryable": False}
            return end(EventKind.JOB_FAILED, error=error)
        case _:
            return None


def _text(output: Any) -> str:
    text = output if isinstance(output, str) else repr(output)
    return text if len(text) <= 500 else text[:500] + "..."
