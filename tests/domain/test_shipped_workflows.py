"""The workflows in `workflows/` are valid and do what their names promise (dry runs)."""

from pathlib import Path

import pytest

import handlers
from domain.loader import load_workflow_dir, workflow_files
from domain.simulate import simulate

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def shipped():
    return load_workflow_dir([WORKFLOWS], handlers=handlers.registry.names())


def test_every_shipped_workflow_is_valid_against_the_handler_registry():
    assert len(shipped().workflows) == len(workflow_files([WORKFLOWS]))


def test_expected_workflows_are_shipped():
    ids = {wid for wid, _ in shipped().workflows}
    assert {
        "echo_test",
        "fan_out_test",
        "retry_test",
        "checkpoint_test",
        "size_routing",
        "raster_ingest",
    } <= ids


def test_fan_out_test_collects_and_sums():
    plan = simulate(shipped().get("fan_out_test"), {"numbers": [1, 2, 3], "max_parallel": 8})
    assert plan.state.output == {"squares": [1, 4, 9], "sum": 14}


@pytest.mark.parametrize(("size", "path"), [(5_000_000, "large"), (10, "small")])
def test_size_routing_routes_both_ways(size, path):
    definition = shipped().get("size_routing")
    plan = simulate(definition, {"size_bytes": size, "threshold_bytes": 1_000_000})
    assert plan.state.output == {"route": path}
