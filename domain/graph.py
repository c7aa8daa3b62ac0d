"""Graph facts about a workflow: dependents, ancestors, reachability, cycles."""

from __future__ import annotations

from collections import deque
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
        ready = deque(nid for nid in self.nodes if pending[nid] == 0)
        order: list[str] = []
        while ready:
            nid = ready.popleft()
            order.append(nid)
            for child in self.dependents[nid]:
                pending[child] -= 1
                if pending[child] == 0:
                    ready.append(child)
        return order

    def find_cycles(self) -> list[list[str]]:
        """Each distinct cycle once, as a path that returns to its first node.

        A depth-first walk with an explicit stack (a long chain cannot reach Python's
        recursion limit); it visits nodes and edges in the same order a recursive walk would.
        """
        cycles: list[list[str]] = []
        seen_sets: set[frozenset[str]] = set()
        done: set[str] = set()
        for root in self.nodes:
            if root in done:
                continue
            path = [root]
            on_path = {root: 0}  # node -> its position in `path`
            stack = [iter(self.dependents[root])]
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    stack.pop()
                    finished = path.pop()
                    del on_path[finished]
                    done.add(finished)
                elif nxt in on_path:
                    cycle = [*path[on_path[nxt] :], nxt]
                    key = frozenset(cycle)
                    if key not in seen_sets:
                        seen_sets.add(key)
                        cycles.append(cycle)
                elif nxt not in done:
                    on_path[nxt] = len(path)
                    path.append(nxt)
                    stack.append(iter(self.dependents[nxt]))
        return cycles

    def branch_targets(self, conditional_id: str) -> list[str]:
        node = self.nodes[conditional_id]
        assert isinstance(node, ConditionalNode)
        return [b.next for b in node.branches]
