"""Heavy nodes go over the task queue to a container worker, which raises the result event
back through the Durable HTTP API and reports progress to the job catalog."""

import os
import re

import pytest

from tests.engine.e2e_handlers import PAUSED, RELEASE
from tests.engine.workers import run_workers
from tests.support.polling import wait_until


@pytest.fixture(scope="module")
def worker_log(engine, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("workers")
    with run_workers(engine, log_dir):
        yield log_dir / "worker-0.log"


def test_heavy_node_runs_on_the_worker_and_its_output_comes_back(engine, worker_log):
    job_id = engine.submit("heavy_test", {"message": "from the queue"})
    job = engine.wait(job_id, timeout=90)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"message": "from the queue"}
    work = [e["kind"] for e in engine.timeline(job_id) if e["node_id"] == "work"]
    # running: when the worker started it (the worker raises that event before the child
    # even imports its handlers, so it is always ahead of the result)
    assert work == ["node.ready", "node.dispatched", "node.running", "node.completed"]


def test_checkpointing_heavy_task_completes(engine, worker_log):
    job = engine.wait(engine.submit("checkpoint_test", {"steps": 3, "step_seconds": 0.1}), 90)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"count": {"steps": 3, "resumed_from": 0}}


def test_worker_progress_shows_in_the_jobs_api_while_the_node_runs(engine, worker_log, tmp_path):
    assert "DAGMASTER_WORKER_PROGRESS_SINK" not in {**os.environ, **engine.env}
    job_id = engine.submit("resume_test", {"tally_dir": str(tmp_path), "pause_after": 2})
    wait_until((tmp_path / PAUSED).exists, 60, "the task to pause after step 2 of 4")

    def node_status() -> str:
        return str(engine.nodes(job_id)["steps"]["status"])

    def node_progress() -> tuple[float | None, str | None]:
        steps = engine.nodes(job_id)["steps"]
        return steps["progress_percent"], steps["progress_message"]

    wait_until(lambda: node_progress() == (50.0, "step 2 of 4"), 10, "50 % on /nodes")
    assert engine.job(job_id)["node_progress"] == {
        "steps": {"attempt": 1, "percent": 50.0, "message": "step 2 of 4"}
    }
    wait_until(lambda: node_status() == "running", 10, "the node running on /nodes")
    gantt = engine.call("GET", f"/ui/jobs/{job_id}/gantt").text  # the console's job page
    bars = re.findall(r'data-node-id="steps" data-attempt="1" data-phase="(\w+)"', gantt)
    assert bars == ["queued", "running"]  # its time in the queue is not drawn as running
    (tmp_path / RELEASE).touch()
    assert engine.wait(job_id, timeout=60)["status"] == "completed"
    assert "progress sink: the job catalog (DATABASE_URL)" in worker_log.read_text()
