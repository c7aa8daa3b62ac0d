"""Job and node statuses and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_JOB


class NodeStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    RETRYING = "retrying"
    WAITING = "waiting"  # an approval waiting for its event
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_NODE


_FINAL_JOB = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
_FINAL_NODE = frozenset(
    {
        NodeStatus.COMPLETED,
        NodeStatus.FAILED,
        NodeStatus.SKIPPED,
        NodeStatus.TIMED_OUT,
        NodeStatus.CANCELLED,
    }
)

JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.CREATED: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}

_IN_FLIGHT = frozenset({NodeStatus.DISPATCHED, NodeStatus.RUNNING, NodeStatus.WAITING})
_ENDINGS = frozenset(
    {NodeStatus.COMPLETED, NodeStatus.FAILED, NodeStatus.TIMED_OUT, NodeStatus.CANCELLED}
)

NODE_TRANSITIONS: dict[NodeStatus, frozenset[NodeStatus]] = {
    NodeStatus.PENDING: frozenset({NodeStatus.READY, NodeStatus.SKIPPED, NodeStatus.CANCELLED}),
    NodeStatus.READY: frozenset(
        {
            NodeStatus.DISPATCHED,
            NodeStatus.WAITING,
            NodeStatus.COMPLETED,
            NodeStatus.FAILED,  # a template or aggregate error before anything ran
            NodeStatus.SKIPPED,
            NodeStatus.CANCELLED,
        }
    ),
    NodeStatus.DISPATCHED: frozenset({NodeStatus.RUNNING, NodeStatus.RETRYING} | _ENDINGS),
    NodeStatus.RUNNING: frozenset({NodeStatus.RETRYING} | _ENDINGS),
    NodeStatus.WAITING: frozenset(_ENDINGS),
    NodeStatus.RETRYING: frozenset({NodeStatus.DISPATCHED, NodeStatus.CANCELLED}),
    NodeStatus.COMPLETED: frozenset(),
    NodeStatus.FAILED: frozenset(),
    NodeStatus.SKIPPED: frozenset(),
    NodeStatus.TIMED_OUT: frozenset(),
    NodeStatus.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the job or node state machine does not allow."""


def check_node_transition(node_id: str, old: NodeStatus, new: NodeStatus) -> None:
    if new not in NODE_TRANSITIONS[old]:
        raise IllegalTransition(f"node '{node_id}': cannot go from {old} to {new}")


def check_job_transition(job_id: str, old: JobStatus, new: JobStatus) -> None:
    if new not in JOB_TRANSITIONS[old]:
        raise IllegalTransition(f"job '{job_id}': cannot go from {old} to {new}")


__all__ = [
    "JOB_TRANSITIONS",
    "NODE_TRANSITIONS",
    "IllegalTransition",
    "JobStatus",
    "NodeStatus",
    "check_job_transition",
    "check_node_transition",
]
