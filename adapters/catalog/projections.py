"""How a timeline event changes the ``jobs`` and ``job_nodes`` rows it is about.

Every update is guarded by ``last_seq``: the status only moves when the event is newer than
the last one applied to that row, so replays and out-of-order deliveries never regress it.
Fields that an older event may legitimately be the only source of (``started_at``, an
error, an output) are merged instead: the earliest start wins, and a newer event's value
wins over an older one's, but an older value still fills a gap.

Limit: ``finished_at``, ``error`` and ``output`` carry no seq of their own. Each has one
source event per row in the timelines the orchestrator writes (one failure or completion
per attempt, one final event per job), and then any delivery order converges. Were two
events to carry one field, out-of-order delivery could keep the older value.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from domain.events import EventKind, JobEvent
from domain.status import JobStatus, NodeStatus

JOB_STATUS = {
    EventKind.JOB_CREATED: JobStatus.CREATED,
    EventKind.JOB_STARTED: JobStatus.RUNNING,
    EventKind.JOB_COMPLETED: JobStatus.COMPLETED,
    EventKind.JOB_FAILED: JobStatus.FAILED,
    EventKind.JOB_CANCELLED: JobStatus.CANCELLED,
}
NODE_STATUS = {
    kind: NodeStatus(kind.value.removeprefix("node."))
    for kind in EventKind
    if kind.value.startswith("node.")
}
_NODE_STARTS = frozenset({EventKind.NODE_DISPATCHED, EventKind.NODE_RUNNING})
_FAILURES = frozenset({EventKind.JOB_FAILED, EventKind.NODE_FAILED, EventKind.NODE_TIMED_OUT})

# "new wins, old fills a gap" for a column `c` whose incoming value is `v`.
_MERGE_JOB = "CASE WHEN {seq} > j.last_seq THEN COALESCE({v}, j.{c}) ELSE COALESCE(j.{c}, {v}) END"
_MERGE_NODE = (
    "CASE WHEN EXCLUDED.last_seq > n.last_seq THEN COALESCE(EXCLUDED.{c}, n.{c}) "
    "ELSE COALESCE(n.{c}, EXCLUDED.{c}) END"
)
_SEQ = "%(seq)s::bigint"


def _job_merge(column: str, cast: str) -> str:
    return _MERGE_JOB.format(seq=_SEQ, v=f"%({column})s::{cast}", c=column)


JOB_SQL = f"""
UPDATE jobs AS j SET
    status = CASE WHEN {_SEQ} > j.last_seq THEN %(status)s::text ELSE j.status END,
    started_at = LEAST(j.started_at, %(started_at)s::timestamptz),
    completed_at = {_job_merge("completed_at", "timestamptz")},
    output = {_job_merge("output", "jsonb")},
    error = {_job_merge("error", "jsonb")},
    last_seq = GREATEST(j.last_seq, {_SEQ}),
    updated_at = now()
WHERE j.job_id = %(job_id)s
"""

NODE_SQL = f"""
INSERT INTO job_nodes AS n (job_id, node_id, attempt, status, handler, queue,
                            started_at, finished_at, error, output, last_seq)
VALUES (%(job_id)s, %(node_id)s, %(attempt)s, %(status)s, %(handler)s, %(queue)s,
        %(started_at)s, %(finished_at)s, %(error)s, %(output)s, %(seq)s)
ON CONFLICT (job_id, node_id, attempt) DO UPDATE SET
    status = CASE WHEN EXCLUDED.last_seq > n.last_seq THEN EXCLUDED.status ELSE n.status END,
    handler = COALESCE(n.handler, EXCLUDED.handler),
    queue = COALESCE(n.queue, EXCLUDED.queue),
    started_at = LEAST(n.started_at, EXCLUDED.started_at),
    finished_at = {_MERGE_NODE.format(c="finished_at")},
    error = {_MERGE_NODE.format(c="error")},
    output = {_MERGE_NODE.format(c="output")},
    last_seq = GREATEST(n.last_seq, EXCLUDED.last_seq),
    updated_at = now()
"""


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def _error(event: JobEvent, data: dict[str, Any]) -> Jsonb | None:
    if event.kind not in _FAILURES:
        return None
    return _jsonb(data.get("error", data or None))


def is_node_event(event: JobEvent) -> bool:
    return event.kind in NODE_STATUS


def job_params(event: JobEvent) -> dict[str, Any]:
    """Parameters of ``JOB_SQL`` for a job.* event."""
    data = event.model_dump(mode="json")["data"]
    status = JOB_STATUS[event.kind]
    return {
        "job_id": event.job_id,
        "seq": event.seq,
        "status": status.value,
        "started_at": event.at if event.kind is EventKind.JOB_STARTED else None,
        "completed_at": event.at if status.is_final else None,
        "output": _jsonb(data.get("output")) if status is JobStatus.COMPLETED else None,
        "error": _error(event, data),
    }


def node_params(event: JobEvent) -> dict[str, Any]:
    """Parameters of ``NODE_SQL`` for a node.* event (no attempt counts as attempt 1)."""
    data = event.model_dump(mode="json")["data"]
    status = NODE_STATUS[event.kind]
    return {
        "job_id": event.job_id,
        "node_id": event.node_id,
        "attempt": event.attempt or 1,
        "seq": event.seq,
        "status": status.value,
        "handler": data.get("handler"),
        "queue": data.get("queue"),
        "started_at": event.at if event.kind in _NODE_STARTS else None,
        "finished_at": event.at if status.is_final else None,
        "output": _jsonb(data.get("output")) if status is NodeStatus.COMPLETED else None,
        "error": _error(event, data),
    }
