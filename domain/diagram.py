"""Draw a workflow as Mermaid (for the API and docs) or Graphviz DOT."""

from __future__ import annotations

from domain.models import (
    ApprovalNode,
    ConditionalNode,
    EndNode,
    FanInNode,
    FanOutNode,
    NodeDefinition,
    StartNode,
    SubWorkflowNode,
    TaskNode,
    WorkflowDefinition,
)


def _label(node: NodeDefinition, definition: WorkflowDefinition) -> str:
    match node:
        case TaskNode():
            return f"{node.id}<br/>{node.handler} ({definition.queue_of(node).value})"
        case FanOutNode():
            queue = definition.queue_of(node.task).value
            return f"{node.id}<br/>fan_out: {node.task.handler} ({queue})"
        case FanInNode():
            return f"{node.id}<br/>fan_in: {node.aggregate.value}"
        case ApprovalNode():
            return f"{node.id}<br/>approval: {node.event_name()}"
        case SubWorkflowNode():
            version = f"@{node.version}" if node.version else ""
            return f"{node.id}<br/>workflow {node.workflow_id}{version}"
        case _:
            return node.id


def _mermaid_shape(node: NodeDefinition, label: str) -> str:
    text = label.replace('"', "'")
    match node:
        case StartNode() | EndNode():
            return f'(["{text}"])'
        case ConditionalNode():
            return f'{{"{text}"}}'
        case FanOutNode():
            return f'[["{text}"]]'
        case FanInNode():
            return f'[/"{text}"/]'
        case ApprovalNode():
            return f'>"{text}"]'
        case SubWorkflowNode():
            return f'[["{text}"]]'
        case _:
            return f'["{text}"]'


def _branch_labels(node: ConditionalNode) -> dict[str, str]:
    labels: dict[str, str] = {}
    for branch in node.branches:
        text = "default" if branch.default else (branch.when or "")
        text = text.replace("{{", "").replace("}}", "").strip().replace('"', "'")
        labels[branch.next] = text
    return labels


def _edges(definition: WorkflowDefinition) -> list[tuple[str, str, str | None, bool]]:
    """(from, to, label, any_of) for every dependency."""
    branches = {n.id: _branch_labels(n) for n in definition.nodes if isinstance(n, ConditionalNode)}
    edges = []
    for node in definition.nodes:
        for dep in node.dependency_ids():
            edges.append((dep, node.id, branches.get(dep, {}).get(node.id), node.joins_any()))
    return edges


def _mermaid_id(node_id: str) -> str:
    # Mermaid reserves words such as `end`; prefixed ids never collide with them.
    return f"n_{node_id.replace('-', '_')}"


def to_mermaid(definition: WorkflowDefinition) -> str:
    lines = ["flowchart TD"]
    for node in definition.nodes:
        shape = _mermaid_shape(node, _label(node, definition))
        lines.append(f"  {_mermaid_id(node.id)}{shape}")
    for src, dst, label, any_of in _edges(definition):
        arrow = "-.->" if any_of else "-->"
        a, b = _mermaid_id(src), _mermaid_id(dst)
        lines.append(f'  {a} {arrow}|"{label}"| {b}' if label else f"  {a} {arrow} {b}")
    return "\n".join(lines)


_DOT_SHAPES = {
    "start": "oval",
    "end": "oval",
    "conditional": "diamond",
    "fan_out": "box3d",
    "fan_in": "invtrapezium",
    "approval": "cds",
    "sub_workflow": "component",
    "task": "box",
}


def to_dot(definition: WorkflowDefinition) -> str:
    lines = [f'digraph "{definition.workflow_id}" {{', "  rankdir=TB;"]
    for node in definition.nodes:
        label = _label(node, definition).replace("<br/>", "\\n").replace('"', "'")
        lines.append(f'  "{node.id}" [shape={_DOT_SHAPES[node.type]}, label="{label}"];')
    for src, dst, edge_label, any_of in _edges(definition):
        attrs = []
        if edge_label:
            attrs.append(f'label="{edge_label}"')
        if any_of:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f'  "{src}" -> "{dst}"{suffix};')
    lines.append("}")
    return "\n".join(lines)
