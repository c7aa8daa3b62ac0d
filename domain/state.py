"""The evaluator's view of a running job: node states and what has happened to them.

The orchestrator rebuilds this on every replay by feeding the same results in the same
order, so everything here must be a deterministic function of those results.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import ErrorInfo
from domain.status import JobStatus, NodeStatus


class JobInfo(BaseModel):
    id: str
    workflow_id: str
    version: int
    workflow_hash: str = ""


class NodeState(BaseModel):
    status: NodeStatus = NodeStatus.PENDING
    attempt: int = 0
    output: Any = None
    error: ErrorInfo | None = None
    reason: str | None = None  # why it was skipped or cancelled
    # conditional: the chosen branch target ("" when no branch matched)
    branch: str | None = None
    # fan-out parent: number of children, next to dispatch, in flight, finished
    children: int | None = None
    next_child: int = 0
    in_flight: int = 0
    finished: int = 0
    # fan-out child: its parent, position and item
    parent: str | None = None
    index: int | None = None
    item: Any = None


class JobState(BaseModel):
    job: JobInfo
    inputs: dict[str, Any] = Field(default_factory=dict)
    status: JobStatus = JobStatus.CREATED
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    seq: int = 1  # seq 0 is `job.created`, written when the job is submitted
    output: Any = None
    error: ErrorInfo | None = None
    counts: Counter[str] = Field(default_factory=Counter)

    def open_nodes(self) -> int:
        return sum(n for status, n in self.counts.items() if not NodeStatus(status).is_final)

    def progress(self) -> dict[str, Any]:
        """Counts by status, percent of nodes final, and the nodes in flight (for custom status)."""
        total = sum(self.counts.values())
        final = total - self.open_nodes()
        running = [
            nid
            for nid, node in self.nodes.items()
            if node.status in (NodeStatus.DISPATCHED, NodeStatus.RUNNING, NodeStatus.WAITING)
        ]
        return {
            "status": str(self.status),
            "counts": {k: v for k, v in sorted(self.counts.items()) if v},
            "percent": round(100 * final / total, 1) if total else 0.0,
            "running": running[:20],
            "running_count": len(running),
        }
