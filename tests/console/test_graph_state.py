from application.workflows import find
from console.graph_state import graph_state, parent_of


def test_fan_out_children_are_counted_on_their_fan_out_and_unrecorded_nodes_are_pending():
    state = graph_state(
        find("fan_out_test"),
        [
            ("start", "completed"),
            ("square", "dispatched"),
            ("square[0]", "completed"),
            ("square[1]", "completed"),
            ("square[2]", "running"),
            ("ghost[0]", "failed"),
        ],
    )
    assert state["nodes"] == {
        "start": "completed",
        "square": "dispatched",
        "collect": "pending",
        "total": "pending",
        "end": "pending",
    }
    assert state["children"] == {"square": {"completed": 2, "running": 1}}


def test_parent_of_a_child_id_is_its_fan_out():
    assert parent_of("tiles[12]") == "tiles"
    assert parent_of("tiles") is None
