"""Graph facts about a workflow: dependents, ancestors, reachability, cycles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property

from domain.models import ConditionalNode, NodeDefinition


class Graph:
    """Edges point from a dependency to its dependents. Unknown ids are ignored here
    (the validator reports them)."""

    def __init__(self, nodes: Sequence[NodeDefinition]) -> None:
        self.nodes: dict[str, NodeDefinition] = {}
        for node in nodes:
            self.nodes.setdefault(node.id, node)
        self.dependencies: dict[str, list[str]] = {
            nid: [d for d in node.dependency_ids() if d in self.nodes]
            for nid, node in self.nodes.items()
        }
        self.dependents: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for nid, deps in self.dependencies.items():
            for dep in deps:
                self.dependents[dep].append(nid)

    def reachable_from(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = [r for r in roots if r in self.nodes]
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            stack.extend(self.dependents[nid])
        return seen

    @cached_property
    def ancestors(self) -> Mapping[str, frozenset[str]]:
        """Every node's transitive dependencies (nodes on a cycle see what they can reach)."""
        memo: dict[str, frozenset[str]] = {}
        for nid in self.topological_order():
            acc: set[str] = set()
            for dep in self.dependencies[nid]:
                acc.add(dep)
                acc |= memo.get(dep, frozenset())
            memo[nid] = frozenset(acc)
        return memo

    def topological_order(self) -> list[str]:
        """Kahn's order, stable in definition order; nodes on cycles are left out."""
        pending = {nid: len(deps) for nid, deps in self.dependencies.items()}
        ready = [nid for nid in self.nodes if pending[nid] == 0]
        order: list[str] = []
        while ready:
            nid = ready.pop(0)
            order.append(nid)
            for child in self.dependents[nid]:
                pending[child] -= 1
                if pending[child] == 0:
                    ready.append(child)
        return order

    def find_cycles(self) -> list[list[str]]:
        """Each distinct cycle once, as a path that returns to its first node."""
        cycles: list[list[str]] = []
        seen_sets: set[frozenset[str]] = set()
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        path: list[str] = []

        def visit(nid: str) -> None:
            state[nid] = 1
            path.append(nid)
            for nxt in self.dependents[nid]:
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in seen_sets:
                        seen_sets.add(key)
                        cycles.append(cycle)
                elif nxt not in state:
                    visit(nxt)
            path.pop()
            state[nid] = 2

        for nid in self.nodes:
            if nid not in state:
                visit(nid)
        return cycles

    def branch_targets(self, conditional_id: str) -> list[str]:
        node = self.nodes[conditional_id]
        assert isinstance(node, ConditionalNode)
        return [b.next for b in node.branches]
