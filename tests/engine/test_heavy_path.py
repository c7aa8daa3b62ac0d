"""Heavy nodes go over the task queue to a container worker, which raises the result event
back through the Durable HTTP API."""

import pytest

from tests.engine.workers import run_workers


@pytest.fixture(scope="module")
def worker(engine, tmp_path_factory):
    with run_workers(engine, tmp_path_factory.mktemp("workers")) as procs:
        yield procs


def test_heavy_node_runs_on_the_worker_and_its_output_comes_back(engine, worker):
    job_id = engine.submit("heavy_test", {"message": "from the queue"})
    job = engine.wait(job_id, timeout=90)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"message": "from the queue"}
    work = [e["kind"] for e in engine.timeline(job_id) if e["node_id"] == "work"]
    assert work == ["node.ready", "node.dispatched", "node.completed"]


def test_checkpointing_heavy_task_completes(engine, worker):
    job = engine.wait(engine.submit("checkpoint_test", {"steps": 3, "step_seconds": 0.1}), 90)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"count": {"steps": 3, "resumed_from": 0}}
