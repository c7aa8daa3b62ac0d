from application.workflows import find
from console.layout import layout
from domain.models import WorkflowDefinition


def _wide_definition(layers: int, width: int) -> WorkflowDefinition:
    nodes = [{"id": "start", "type": "start"}]
    previous = ["start"]
    for layer in range(layers):
        ids = [f"n{layer}_{i}" for i in range(width)]
        nodes += [
            {"id": nid, "type": "task", "handler": "echo", "depends_on": previous[: i % 3 + 1]}
            for i, nid in enumerate(ids)
        ]
        previous = ids
    nodes.append({"id": "end", "type": "end", "depends_on": previous})
    return WorkflowDefinition.model_validate(
        {"workflow_id": "wide", "version": 1, "defaults": {"queue": "light"}, "nodes": nodes}
    )


def test_every_node_is_placed_below_each_of_its_dependencies():
    definition = find("raster_ingest")
    graph = layout(definition)
    placed = {n.id: n for n in graph.nodes}
    assert set(placed) == {n.id for n in definition.nodes}
    for node in definition.nodes:
        for dep in node.dependency_ids():
            assert placed[dep].y + placed[dep].height < placed[node.id].y


def test_no_two_nodes_overlap_and_all_fit_in_the_drawing():
    graph = layout(_wide_definition(layers=6, width=7))
    boxes = [(n.x, n.y, n.x + n.width, n.y + n.height) for n in graph.nodes]
    for i, a in enumerate(boxes):
        assert a[2] <= graph.width and a[3] <= graph.height
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_edges_run_from_the_bottom_of_the_source_to_the_top_of_the_target():
    graph = layout(find("size_routing"))
    placed = {n.id: n for n in graph.nodes}
    for edge in graph.edges:
        source, target = placed[edge.source], placed[edge.target]
        assert edge.points[0] == (source.cx, source.y + source.height)
        assert edge.points[-1] == (target.cx, target.y)
    labels = {(e.source, e.target): e.label for e in graph.edges if e.label}
    assert labels[("route", "small")] == "default"


def test_the_layout_of_a_definition_is_computed_once():
    definition = _wide_definition(layers=2, width=2)
    assert layout(definition) is layout(definition.model_copy())
