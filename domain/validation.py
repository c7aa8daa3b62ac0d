"""Whole-workflow rules that no single model can check: the graph and the templates.

Each rule yields `Issue`s; the loader turns them into `Problem`s with file and line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from domain import templates
from domain.graph import Graph
from domain.models import (
    AnyOf,
    ConditionalNode,
    EndNode,
    FanInNode,
    FanOutNode,
    NodeBase,
    NodeDefinition,
    StartNode,
    SubWorkflowNode,
    TaskDefinition,
    TaskNode,
)

TEMPLATE_ROOTS = ("inputs", "nodes", "job")
FAN_OUT_ROOTS = ("item", "index")


class InvalidNode(NodeBase):
    """Stands in, in graph checks, for a node whose own fields did not validate."""

    type: Literal["invalid"] = "invalid"
    depends_on: list[str] | AnyOf = Field(default_factory=list)
    declared_type: str | None = None

    @classmethod
    def from_raw(cls, raw: Any) -> InvalidNode | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        deps = raw.get("depends_on")
        if isinstance(deps, dict) and isinstance(deps.get("any_of"), list):
            deps = AnyOf.model_construct(any_of=[d for d in deps["any_of"] if isinstance(d, str)])
        elif isinstance(deps, list):
            deps = [d for d in deps if isinstance(d, str)]
        else:
            deps = []
        declared = raw.get("type") if isinstance(raw.get("type"), str) else None
        return cls.model_construct(id=raw["id"], depends_on=deps, declared_type=declared)


@dataclass(frozen=True)
class Issue:
    """A problem found in a workflow: ``node_id`` and ``field`` (a path inside the node, or
    inside the workflow when ``node_id`` is None) locate it."""

    message: str
    node_id: str | None = None
    field: tuple[str | int, ...] = ()


def check_workflow(
    nodes: Sequence[NodeDefinition | InvalidNode],
    *,
    input_names: Collection[str],
    default_queue: bool = False,
    handlers: Collection[str] | None = None,
) -> list[Issue]:
    """Every graph and template issue of ``nodes`` (``handlers``: the handler registry)."""
    graph = Graph(nodes)  # type: ignore[arg-type]
    known = set(graph.nodes)
    unknown = [*_unknown_references(graph, known)]
    issues = [*_duplicate_ids(nodes), *unknown]
    issues += _cycles(graph)
    # Nodes cut off by an unknown dependency are already reported; don't report them twice.
    cut_off = graph.reachable_from({i.node_id for i in unknown if i.node_id})
    issues += _start_and_end(graph, cut_off)
    issues += _branches(graph)
    issues += _fan_ins(graph)
    issues += _tasks(graph, default_queue, handlers)
    issues += _templates(graph, set(input_names))
    return issues


def _duplicate_ids(nodes: Sequence[NodeDefinition | InvalidNode]) -> Iterator[Issue]:
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            yield Issue(f"duplicate node id '{node.id}'", node.id, ("id",))
        seen.add(node.id)


def _unknown_references(graph: Graph, known: set[str]) -> Iterator[Issue]:
    for nid, node in graph.nodes.items():
        field = ("depends_on", "any_of") if node.joins_any() else ("depends_on",)
        for dep in node.dependency_ids():
            if dep not in known:
                yield Issue(f"depends on unknown node '{dep}'", nid, field)
            elif dep == nid:
                yield Issue("depends on itself", nid, field)
        if isinstance(node, ConditionalNode):
            for i, branch in enumerate(node.branches):
                if branch.next not in known:
                    yield Issue(
                        f"branch target '{branch.next}' is not a node", nid, ("branches", i)
                    )


def _cycles(graph: Graph) -> Iterator[Issue]:
    for cycle in graph.find_cycles():
        if len(cycle) > 2:  # a self-dependency is reported as such
            yield Issue(f"cycle: {' -> '.join(cycle)}", cycle[0], ("depends_on",))


def _start_and_end(graph: Graph, cut_off: set[str]) -> Iterator[Issue]:
    starts = [nid for nid, n in graph.nodes.items() if _is(n, StartNode, "start")]
    ends = [nid for nid, n in graph.nodes.items() if _is(n, EndNode, "end")]
    if len(starts) != 1:
        found = ", ".join(f"'{s}'" for s in starts) or "none"
        yield Issue(f"a workflow needs exactly one start node (found {found})", None, ("nodes",))
    if not ends:
        yield Issue("a workflow needs an end node (found none)", None, ("nodes",))
    if len(starts) != 1:
        return
    reachable = graph.reachable_from(starts)
    for nid in graph.nodes:
        if nid not in reachable and nid not in cut_off:
            what = "end node" if nid in ends else "node"
            yield Issue(f"{what} '{nid}' is not reachable from start '{starts[0]}'", nid)


def _is(node: NodeBase, kind: type, name: str) -> bool:
    return isinstance(node, kind) or (isinstance(node, InvalidNode) and node.declared_type == name)


def _branches(graph: Graph) -> Iterator[Issue]:
    for nid, node in graph.nodes.items():
        if not isinstance(node, ConditionalNode):
            continue
        targets: set[str] = set()
        for i, branch in enumerate(node.branches):
            if branch.next in targets:
                yield Issue(f"branch target '{branch.next}' appears twice", nid, ("branches", i))
            targets.add(branch.next)
            if branch.next in graph.nodes and nid not in graph.dependencies[branch.next]:
                yield Issue(
                    f"branch target '{branch.next}' must list '{nid}' in its depends_on "
                    "(a branch can only choose a direct dependent of the conditional)",
                    nid,
                    ("branches", i, "next"),
                )


def _fan_ins(graph: Graph) -> Iterator[Issue]:
    for nid, node in graph.nodes.items():
        if not isinstance(node, FanInNode):
            continue
        deps = node.dependency_ids()
        if node.joins_any() or len(deps) != 1:
            yield Issue("a fan_in depends on exactly one fan_out node", nid, ("depends_on",))
        elif deps[0] in graph.nodes and not isinstance(graph.nodes[deps[0]], FanOutNode):
            yield Issue(
                f"a fan_in depends on a fan_out node; '{deps[0]}' is a {graph.nodes[deps[0]].type}",
                nid,
                ("depends_on",),
            )


def _task_specs(node: NodeDefinition) -> Iterator[tuple[TaskDefinition, tuple[str, ...]]]:
    if isinstance(node, TaskNode):
        yield node, ()
    elif isinstance(node, FanOutNode):
        yield node.task, ("task",)


def _tasks(graph: Graph, default_queue: bool, handlers: Collection[str] | None) -> Iterator[Issue]:
    for nid, node in graph.nodes.items():
        for spec, prefix in _task_specs(node):
            if spec.queue is None and not default_queue:
                yield Issue(
                    "no queue: set 'queue: light' or 'queue: heavy' on the node, "
                    "or 'defaults.queue' for the workflow",
                    nid,
                    (*prefix, "handler"),
                )
            if handlers is not None and spec.handler not in handlers:
                known = ", ".join(sorted(handlers)) or "none"
                yield Issue(
                    f"unknown handler '{spec.handler}' (known: {known})",
                    nid,
                    (*prefix, "handler"),
                )


def template_fields(node: NodeDefinition) -> Iterator[tuple[tuple[str | int, ...], Any, bool]]:
    """(field path, value, fan-out child scope) for every templated field of a node."""
    if isinstance(node, TaskNode):
        yield ("params",), node.params, False
    elif isinstance(node, FanOutNode):
        yield ("over",), node.over, False
        yield ("task", "params"), node.task.params, True
    elif isinstance(node, ConditionalNode):
        for i, branch in enumerate(node.branches):
            if branch.when is not None:
                yield ("branches", i, "when"), branch.when, False
    elif isinstance(node, EndNode):
        yield ("result",), node.result, False
    elif isinstance(node, SubWorkflowNode):
        yield ("inputs",), node.inputs, False


def _templates(graph: Graph, input_names: set[str]) -> Iterator[Issue]:
    ancestors = graph.ancestors
    for nid, node in graph.nodes.items():
        upstream = ancestors.get(nid, frozenset())
        for field, value, in_fan_out in template_fields(node):
            for path, text in templates.iter_templates(value, ".".join(map(str, field))):
                location = (*field, *_path_tail(path, field))
                error = templates.check_syntax(text)
                if error:
                    yield Issue(f"template syntax error in {text!r}: {error}", nid, location)
                    continue
                for ref in sorted(templates.references(text), key=lambda r: (r.root, r.name or "")):
                    problem = _reference_problem(ref, input_names, upstream, graph, in_fan_out)
                    if problem:
                        yield Issue(f"{problem} in {text!r}", nid, location)


def _path_tail(path: str, field: tuple[str | int, ...]) -> tuple[str | int, ...]:
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    return tuple(parts[len(field) :])


def _reference_problem(
    ref: templates.Reference,
    input_names: set[str],
    upstream: frozenset[str],
    graph: Graph,
    in_fan_out: bool,
) -> str | None:
    if ref.root == "inputs":
        if ref.name is not None and ref.name not in input_names:
            declared = ", ".join(sorted(input_names)) or "none"
            return f"undeclared input '{ref.name}' (declared: {declared})"
    elif ref.root == "nodes":
        if ref.name is not None and ref.name not in upstream:
            where = "unknown node" if ref.name not in graph.nodes else "node not upstream"
            return f"{where} '{ref.name}' (a template can read only nodes it depends on)"
    elif ref.root in FAN_OUT_ROOTS:
        if not in_fan_out:
            return f"'{ref.root}' is only defined in a fan_out task's params"
    elif ref.root != "job":
        return (
            f"unknown name '{ref.root}' (templates can use inputs, nodes, job, "
            "and item/index in a fan_out task)"
        )
    return None
