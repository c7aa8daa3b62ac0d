"""A worker SIGKILLed in the middle of a heavy task, end to end on devhost: the message comes
back after its visibility timeout, the other worker resumes from the checkpoint and the job
completes without redoing the checkpointed steps. A duplicate message for a finished task
re-sends the stored result instead of running the task again."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.taskqueue import TaskQueueSettings, open_task_queue
from domain.tasks import ReplyTo, TaskId, TaskMessage, task_event_name
from tests.engine.e2e_handlers import PAUSED
from tests.engine.workers import run_workers
from tests.support.polling import wait_until

# Short, so the killed worker's message is visible again within seconds (renewed every 1 s).
FAST_REDELIVERY = {"DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS": "3"}


@dataclass(frozen=True)
class KilledRun:
    job_id: str
    job: dict
    tally: Path
    killed_pid: int
    log_dir: Path


def runs_per_step(tally: Path, total: int) -> dict[int, list[int]]:
    """Process ids that ran each step, in order."""
    return {
        step: [int(pid) for pid in (tally / f"step-{step}").read_text().split()]
        if (tally / f"step-{step}").exists()
        else []
        for step in range(1, total + 1)
    }


def worker_log(log_dir: Path) -> str:
    return "".join(log.read_text() for log in sorted(log_dir.glob("worker-*.log")))


@pytest.fixture(scope="module")
def workers(engine, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("workers")
    with run_workers(engine, log_dir, count=2, env=FAST_REDELIVERY) as procs:
        yield procs, log_dir


@pytest.fixture(scope="module")
def killed_run(engine, workers, tmp_path_factory) -> KilledRun:
    """Four steps; the worker running them is SIGKILLed right after checkpointing step 2."""
    procs, log_dir = workers
    tally = tmp_path_factory.mktemp("tally")
    job_id = engine.submit("resume_test", {"tally_dir": str(tally), "total": 4, "pause_after": 2})
    wait_until((tally / PAUSED).exists, 60, "the task to checkpoint step 2 and pause")
    killed_pid = int((tally / PAUSED).read_text())
    assert killed_pid in {p.pid for p in procs}
    os.kill(killed_pid, signal.SIGKILL)
    job = engine.wait(job_id, timeout=90)
    return KilledRun(job_id, job, tally, killed_pid, log_dir)


def test_job_completes_after_its_worker_is_killed_mid_task(killed_run):
    assert killed_run.job["status"] == "completed", killed_run.job
    assert killed_run.job["output"]["result"] == {"resumed_after": 2, "total": 4}


def test_steps_before_the_checkpoint_are_not_redone_after_the_kill(killed_run):
    runs = runs_per_step(killed_run.tally, 4)
    assert [len(pids) for pids in runs.values()] == [1, 1, 1, 1], runs
    assert runs[1] == runs[2] != runs[3] == runs[4]  # 3 and 4 ran in another task process


def test_the_redelivered_message_resumes_on_the_surviving_worker(engine, killed_run):
    key = f"{killed_run.job_id}/steps/1"
    log = worker_log(killed_run.log_dir)
    assert f"task {key} started (pid" in log
    assert "delivery 2, resuming from checkpoint" in log
    steps = [e for e in engine.timeline(killed_run.job_id) if e["node_id"] == "steps"]
    assert [(e["kind"], e["attempt"]) for e in steps] == [
        ("node.ready", None),
        ("node.dispatched", 1),
        ("node.running", 1),  # once: the redelivery's start is not a new one
        ("node.completed", 1),
    ]
    assert steps[2]["data"] == {"delivery": 1}


def test_duplicate_message_for_a_finished_task_does_not_rerun_it(engine, workers, tmp_path):
    _, log_dir = workers
    job_id = engine.submit("resume_test", {"tally_dir": str(tmp_path), "total": 2})
    job = engine.wait(job_id, timeout=60)
    assert job["status"] == "completed", job
    timeline = engine.timeline(job_id)

    duplicate = TaskMessage(
        task_id=TaskId(job_id=job_id, node_id="steps", attempt=1),
        handler="e2e.pausing_steps",
        params={"total": 2, "tally_dir": str(tmp_path), "pause_after": 0},
        reply_to=ReplyTo(instance_id=job_id, event_name=task_event_name("steps", 1)),
    )
    queue = open_task_queue(TaskQueueSettings.from_env(engine.env))
    try:
        queue.send(duplicate)
    finally:
        queue.close()
    key = f"{job_id}/steps/1"
    settled = (f"of task {key} is gone", f"task {key} completed: event")  # once per message

    def both_settled() -> bool:
        log = worker_log(log_dir)
        return sum(log.count(line) for line in settled) == 2

    wait_until(both_settled, 30, "the duplicate message to be settled")

    assert f"task {key} already finished: re-sending its result" in worker_log(log_dir)
    assert [len(pids) for pids in runs_per_step(tmp_path, 2).values()] == [1, 1]
    assert engine.job(job_id)["output"] == job["output"]
    assert engine.timeline(job_id) == timeline
