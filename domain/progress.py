"""Live job progress: the orchestrator's own counts, corrected by what the catalog knows.

A fan-out run in batches counts its children as dispatched in the parent until a batch
returns; the batches record each child's events as they go. The API merges the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.status import NodeStatus

_IN_FLIGHT = frozenset({NodeStatus.DISPATCHED, NodeStatus.RUNNING, NodeStatus.WAITING})
MAX_RUNNING_LISTED = 20


def live_progress(
    stored: Mapping[str, Any], recorded: Mapping[str, int], running: list[str]
) -> dict[str, Any]:
    """``stored`` is the orchestrator's progress (``counts`` covers every node, children
    included); ``recorded`` counts nodes by their latest recorded status and ``running`` lists
    recorded nodes in flight. Nodes with no recorded event yet stay pending."""
    total = sum(int(n) for n in (stored.get("counts") or {}).values())
    known = sum(recorded.values())
    if total < known:  # a stale orchestrator progress: trust the events
        total = known
    counts = {status: n for status, n in recorded.items() if n}
    if total > known:
        counts[NodeStatus.PENDING.value] = counts.get(NodeStatus.PENDING.value, 0) + total - known
    final = sum(n for status, n in counts.items() if NodeStatus(status).is_final)
    return {
        **stored,
        "counts": dict(sorted(counts.items())),
        "percent": round(100 * final / total, 1) if total else 0.0,
        "running": sorted(running)[:MAX_RUNNING_LISTED],
        "running_count": sum(counts.get(s.value, 0) for s in _IN_FLIGHT),
    }
