"""`domain.graph.Graph`: facts about a workflow's dependencies, on graphs of any depth."""

from domain.graph import Graph
from domain.models import NodeDefinition, StartNode, TaskNode

LONG = 10_000


def chain(length: int, *, back_to: int | None = None) -> list[NodeDefinition]:
    """``start -> n1 -> ... -> n<length>``; with ``back_to``, n``back_to`` also depends on
    the last node, closing a cycle."""
    nodes: list[NodeDefinition] = [StartNode(id="start", type="start")]
    for i in range(1, length + 1):
        deps = ["start" if i == 1 else f"n{i - 1}"]
        if i == back_to:
            deps.append(f"n{length}")
        nodes.append(TaskNode(id=f"n{i}", type="task", handler="echo", depends_on=deps))
    return nodes


def test_a_long_chain_has_no_cycle_and_keeps_its_order():
    graph = Graph(chain(LONG))
    assert graph.find_cycles() == []
    assert graph.topological_order()[-1] == f"n{LONG}"


def test_a_cycle_closing_a_long_chain_is_found_as_one_path():
    (cycle,) = Graph(chain(LONG, back_to=1)).find_cycles()
    assert len(cycle) == LONG + 1
    assert cycle[0] == cycle[-1] == "n1"
    assert cycle[1:3] == ["n2", "n3"]


def test_each_distinct_cycle_is_reported_once():
    nodes = [
        StartNode(id="start", type="start"),
        TaskNode(id="a", type="task", handler="echo", depends_on=["start", "b"]),
        TaskNode(id="b", type="task", handler="echo", depends_on=["a"]),
        TaskNode(id="c", type="task", handler="echo", depends_on=["b", "d"]),
        TaskNode(id="d", type="task", handler="echo", depends_on=["c"]),
    ]
    assert Graph(nodes).find_cycles() == [["a", "b", "a"], ["c", "d", "c"]]
