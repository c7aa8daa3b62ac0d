"""Timeline events: one record for every state transition of a job or a node.

Events carry a per-job sequence number assigned deterministically by the orchestrator, so
their id (`job_id:seq`) is stable across replays and a retried write never duplicates one.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class EventKind(StrEnum):
    JOB_CREATED = "job.created"
    JOB_STARTED = "job.started"
    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    NODE_READY = "node.ready"
    NODE_DISPATCHED = "node.dispatched"
    NODE_RUNNING = "node.running"
    NODE_RETRYING = "node.retrying"
    NODE_COMPLETED = "node.completed"
    NODE_FAILED = "node.failed"
    NODE_SKIPPED = "node.skipped"
    NODE_TIMED_OUT = "node.timed_out"
    NODE_CANCELLED = "node.cancelled"
    NODE_WAITING = "node.waiting"


class JobEvent(BaseModel):
    """One transition on a job's timeline. ``data`` holds details (error, wait, output summary)."""

    job_id: str
    seq: int = Field(ge=0)
    kind: EventKind
    at: datetime
    node_id: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return f"{self.job_id}:{self.seq}"


EVENT_OUTPUT_BYTES = 2048


def event_output(output: Any) -> dict[str, Any]:
    """A completed node's output for its timeline event: small ones whole, large ones only by
    size (the events travel through the orchestration history)."""
    if output is None:
        return {}
    size = len(json.dumps(output, separators=(",", ":"), default=str))
    return {"output": output} if size <= EVENT_OUTPUT_BYTES else {"output_bytes": size}
