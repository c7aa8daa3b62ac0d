"""The state the job page's graph shows: each top-level node's latest status, and each
fan-out's children counted by status (children are drawn as part of their fan-out)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from domain.models import FanOutNode, WorkflowDefinition
from domain.status import NodeStatus

_CHILD = re.compile(r"^(?P<parent>.+)\[(?P<index>\d+)\]$")


def graph_state(
    definition: WorkflowDefinition, latest: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """``latest``: (node_id, status) of every recorded node, children included. Nodes with
    no record are pending; a child of an unknown fan-out is ignored."""
    fan_outs = {n.id for n in definition.nodes if isinstance(n, FanOutNode)}
    nodes = {n.id: NodeStatus.PENDING.value for n in definition.nodes}
    children: dict[str, Counter[str]] = {fid: Counter() for fid in fan_outs}
    for node_id, status in latest:
        child = _CHILD.match(node_id)
        if child and child["parent"] in fan_outs:
            children[child["parent"]][status] += 1
        elif node_id in nodes:
            nodes[node_id] = status
    return {
        "nodes": nodes,
        "children": {fid: dict(sorted(c.items())) for fid, c in children.items()},
    }


def parent_of(node_id: str) -> str | None:
    """The fan-out a child id like ``tiles[3]`` belongs to, or None."""
    child = _CHILD.match(node_id)
    return child["parent"] if child else None
