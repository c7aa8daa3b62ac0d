"""Where each node of a workflow's graph goes on the page: a layered (Sugiyama) layout.

The layering, crossing reduction and edge routing are igraph's `layout_sugiyama` (C core,
a self-contained wheel from PyPI); this module only turns its unit grid into pixels. A
layout depends on the definition alone, so it is cached by the definition's content hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.models import (
    ApprovalNode,
    ConditionalNode,
    FanInNode,
    FanOutNode,
    NodeDefinition,
    SubWorkflowNode,
    TaskNode,
    WorkflowDefinition,
)
from domain.snapshot import content_hash

NODE_WIDTH = 168
NODE_HEIGHT = 46
FAN_OUT_HEIGHT = 62  # room for the children's counts
COLUMN = NODE_WIDTH + 28
ROW = FAN_OUT_HEIGHT + 48
MARGIN = 16


@dataclass(frozen=True)
class PlacedNode:
    id: str
    kind: str
    detail: str
    x: float  # top-left corner, pixels
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class PlacedEdge:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    dashed: bool  # an any_of join
    label: str | None

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class GraphLayout:
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    width: float
    height: float


def detail(node: NodeDefinition, definition: WorkflowDefinition) -> str:
    """The second line of a node's box: what it runs."""
    match node:
        case TaskNode():
            return f"{node.handler} · {definition.queue_of(node).value}"
        case FanOutNode():
            return f"fan-out {node.task.handler} · {definition.queue_of(node.task).value}"
        case FanInNode():
            return f"fan-in {node.aggregate.value}"
        case ApprovalNode():
            return "approval"
        case SubWorkflowNode():
            return f"workflow {node.workflow_id}" + (f"@{node.version}" if node.version else "")
        case ConditionalNode():
            return "conditional"
        case _:
            return node.type


def _branch_labels(definition: WorkflowDefinition) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    for node in definition.nodes:
        if isinstance(node, ConditionalNode):
            for branch in node.branches:
                text = "default" if branch.default else (branch.when or "")
                labels[(node.id, branch.next)] = text.replace("{{", "").replace("}}", "").strip()
    return labels


_CACHE: dict[str, GraphLayout] = {}
_CACHE_SIZE = 64


def layout(definition: WorkflowDefinition) -> GraphLayout:
    """The definition laid out top down, cached per content hash (the oldest entry goes
    first once the cache is full)."""
    key = content_hash(definition)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = _layout(definition)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    return found


def _spread(
    coords: list[list[float]], bends: list[list[list[float]]]
) -> tuple[list[tuple[float, float]], list[list[tuple[float, float]]]]:
    """igraph keeps each layer's order but can give two of its vertices the same x (seen
    with layers seven wide); sweep each layer left to right so that nodes stay a column
    apart and edge bends half a column, keeping igraph's order and leftmost positions."""
    layers: dict[float, list[tuple[float, int, int, int]]] = {}
    for i, (x, y) in enumerate(coords):
        layers.setdefault(y, []).append((x, 0, i, 0))
    for e, points in enumerate(bends):
        for j, (x, y) in enumerate(points):
            layers.setdefault(y, []).append((x, 1, e, j))
    nodes = [(float(x), float(y)) for x, y in coords]
    routed = [[(float(x), float(y)) for x, y in points] for points in bends]
    for y, items in layers.items():
        items.sort()
        last: tuple[float, int] | None = None
        for x, is_bend, a, b in items:
            if last is not None:
                gap = 0.5 if is_bend or last[1] else 1.0
                x = max(x, last[0] + gap)
            if is_bend:
                routed[a][b] = (x, y)
            else:
                nodes[a] = (x, y)
            last = (x, is_bend)
    return nodes, routed


def _layout(definition: WorkflowDefinition) -> GraphLayout:
    import igraph  # about 0.2 s to import: paid by the first graph, not by every cold start

    ids = [n.id for n in definition.nodes]
    index = {nid: i for i, nid in enumerate(ids)}
    pairs = [
        (dep, node.id, node.joins_any())
        for node in definition.nodes
        for dep in node.dependency_ids()
        if dep in index
    ]
    graph = igraph.Graph(
        n=len(ids), edges=[(index[a], index[b]) for a, b, _ in pairs], directed=True
    )
    placed = graph.layout_sugiyama(hgap=1, vgap=1)
    coords, bends = _spread(placed.coords[: len(ids)], [list(b) for b in placed.edge_routing])
    min_x = min([x for x, _ in coords] + [x for b in bends for x, _ in b], default=0.0)

    def pixel(x: float, y: float) -> tuple[float, float]:
        return MARGIN + (x - min_x) * COLUMN + NODE_WIDTH / 2, MARGIN + y * ROW

    nodes: list[PlacedNode] = []
    for node, (x, y) in zip(definition.nodes, coords, strict=True):
        cx, top = pixel(x, y)
        box_height = FAN_OUT_HEIGHT if isinstance(node, FanOutNode) else NODE_HEIGHT
        nodes.append(
            PlacedNode(
                node.id,
                node.type,
                detail(node, definition),
                cx - NODE_WIDTH / 2,
                top,
                NODE_WIDTH,
                box_height,
            )
        )
    by_id = {n.id: n for n in nodes}
    labels = _branch_labels(definition)
    edges: list[PlacedEdge] = []
    for (source, target, dashed), bend in zip(pairs, bends, strict=True):
        a, b = by_id[source], by_id[target]
        middle = [pixel(px, py) for px, py in bend]
        middle = [(px, py + FAN_OUT_HEIGHT / 2) for px, py in middle]
        points = ((a.cx, a.y + a.height), *middle, (b.cx, b.y))
        edges.append(PlacedEdge(source, target, points, dashed, labels.get((source, target))))
    width = max((n.x + n.width for n in nodes), default=0.0) + MARGIN
    height = max((n.y + n.height for n in nodes), default=0.0) + MARGIN
    return GraphLayout(tuple(nodes), tuple(edges), width, height)
