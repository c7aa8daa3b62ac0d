"""Live progress merges the orchestrator's totals with the node states the catalog recorded."""

from domain.progress import live_progress

STORED = {
    "status": "running",
    "counts": {"completed": 2, "dispatched": 300, "pending": 1},
    "percent": 0.7,
    "running": ["each[0]"],
    "running_count": 300,
}


def test_children_finished_inside_batches_count_as_done():
    recorded = {"completed": 152, "dispatched": 150}
    progress = live_progress(STORED, recorded, ["each[200]"])
    assert progress["counts"] == {"completed": 152, "dispatched": 150, "pending": 1}
    assert progress["percent"] == 50.2
    assert progress["running_count"] == 150


def test_nodes_without_recorded_events_stay_pending():
    progress = live_progress(STORED, {"completed": 1}, [])
    assert progress["counts"] == {"completed": 1, "pending": 302}


def test_more_recorded_nodes_than_the_stored_total_are_all_counted():
    progress = live_progress({"counts": {"pending": 2}}, {"completed": 3}, [])
    assert progress["counts"] == {"completed": 3}
    assert progress["percent"] == 100.0


def test_running_nodes_are_listed_in_order_and_bounded():
    running = [f"each[{i}]" for i in range(30, 0, -1)]
    progress = live_progress(STORED, {"dispatched": 30}, running)
    assert progress["running"][:2] == ["each[10]", "each[11]"]
    assert len(progress["running"]) == 20


def test_other_stored_fields_are_kept():
    assert live_progress(STORED, {}, [])["status"] == "running"
