"""Each task runs in its own process: crashes, memory blow-ups, timeouts, concurrency, resume."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from container_worker.checkpoints import TaskStore, checkpoint_ref
from domain.tasks import TaskMessage
from tests.support.polling import wait_until
from tests.worker.support import (
    RecordingSink,
    make_task,
    queue_length,
    raw_queue,
    running_worker,
)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_crashing_task_goes_to_poison_queue_after_max_deliveries_and_a_failed_event_is_raised(
    queue, worker_env, event_host, tmp_path: Path
):
    worker_env["DAGMASTER_TASK_QUEUE_MAX_DELIVERIES"] = "2"
    crashes = tmp_path / "crashes.txt"
    task = make_task("test.crash", {"record": str(crashes)})
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(lambda: queue_length(worker_env, "-poison") == 1, 10, "the poison message")

    assert len(lines(crashes)) == 2  # one run per allowed delivery
    error = event.result().error
    assert (error.kind, error.retryable) == ("worker_crashed", False)
    assert "exit code 3" in error.message
    assert queue_length(worker_env) == 0
    with raw_queue(worker_env, "-poison") as poison:
        [kept] = poison.peek_messages()
    assert TaskMessage.model_validate_json(kept.content) == task


def test_message_delivered_too_often_is_dead_lettered_and_the_orchestration_told(
    queue, worker_env, event_host, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    queue.send(task)
    with raw_queue(worker_env) as client:
        for _ in range(3):  # three deliveries whose workers vanished without a word
            assert client.receive_message(visibility_timeout=1) is not None
            time.sleep(1.1)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(lambda: queue_length(worker_env, "-poison") == 1, 10, "the poison message")

    error = event.result().error
    assert (error.kind, error.retryable) == ("dead_lettered", True)
    assert not runs.exists()


def test_memory_blow_up_fails_that_task_only(queue, worker_env, event_host):
    worker_env["DAGMASTER_WORKER_TASK_MEMORY_MB"] = "512"
    hog = make_task("test.hog", {"megabytes": 4096})
    fine = make_task("test.echo", {"after": "hog"})
    queue.send(hog)
    queue.send(fine)

    with running_worker(worker_env):
        [hog_event] = event_host.wait_accepted(hog.reply_to.instance_id)
        [fine_event] = event_host.wait_accepted(fine.reply_to.instance_id)

    assert hog_event.result().error.kind == "out_of_memory"
    assert fine_event.result().status == "completed"


def started_record(caplog: pytest.LogCaptureFixture, task: TaskMessage) -> logging.LogRecord:
    """The worker's log record of starting ``task``'s child process."""
    prefix = f"task {task.task_id.key()} started (pid "
    [record] = [r for r in caplog.records if r.getMessage().startswith(prefix)]
    return record


def test_task_timeout_kills_the_child_and_reports_a_retryable_timeout(
    queue, worker_env, event_host, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    record = tmp_path / "sleep.txt"
    task = make_task("test.sleep", {"seconds": 60, "record": str(record)}, timeout=5)
    queue.send(task)

    with caplog.at_level(logging.INFO, "container_worker.worker"), running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)
        answered = time.time()

    error = event.result().error
    assert (error.kind, error.retryable) == ("timeout", True)
    # Timed from the child's start, as the deadline is (set just before that log record):
    # the worker's start-up is not the task's time. On a loaded machine the child may still
    # be importing when the deadline passes, so it may never have written its first line.
    started = started_record(caplog, task)
    assert 4.5 <= answered - started.created < 15, "killed at its deadline, not after its sleep"
    assert not [line for line in lines(record) if " end " in line]
    pid = int(started.getMessage().split("(pid ", 1)[1].split(",", 1)[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_two_tasks_run_concurrently_in_separate_processes(
    queue, worker_env, event_host, tmp_path: Path
):
    records = [tmp_path / "a.txt", tmp_path / "b.txt"]
    tasks = [make_task("test.sleep", {"seconds": 1.5, "record": str(r)}) for r in records]
    for task in tasks:
        queue.send(task)

    with running_worker(worker_env):
        for task in tasks:
            event_host.wait_accepted(task.reply_to.instance_id)

    runs = [[line.split() for line in lines(r)] for r in records]
    pids = {int(run[0][0]) for run in runs}
    assert len(pids) == 2 and os.getpid() not in pids
    starts = [float(run[0][2]) for run in runs]
    ends = [float(run[1][2]) for run in runs]
    assert max(starts) < min(ends), "the two tasks did not overlap"


def test_next_attempt_resumes_from_the_previous_attempts_checkpoint(
    queue, worker_env, event_host, store: TaskStore, tmp_path: Path
):
    steps = tmp_path / "steps.txt"
    first = make_task("test.steps", {"total": 4, "record": str(steps)}, attempt=1)
    store.save_checkpoint(first, {"done": 2})  # attempt 1 got this far, then timed out
    second = make_task(
        "test.steps", {"total": 4, "record": str(steps)}, attempt=2, job_id=first.task_id.job_id
    )
    queue.send(second)
    sink = RecordingSink()

    with running_worker(worker_env, sink):
        [event] = event_host.wait_accepted(second.reply_to.instance_id)

    assert event.event_name == "task:heavy:2"
    assert event.result().output == {"resumed_after": 2}
    assert [line.split()[1] for line in lines(steps)] == ["3", "4"]
    assert sink.updates[-1] == (second.task_id, 100.0, "step 4")
    assert store.load_checkpoint(second) is None, "a completed task's checkpoint is removed"
    assert checkpoint_ref(second.task_id).endswith(f"/{first.task_id.job_id}/heavy.json")


def test_task_longer_than_the_visibility_timeout_keeps_its_message_by_renewing_it(
    queue, worker_env, event_host, tmp_path: Path
):
    record = tmp_path / "sleep.txt"
    task = make_task("test.sleep", {"seconds": 5, "record": str(record)})  # visibility: 3 s
    queue.send(task)

    with running_worker(worker_env):  # concurrency 2: a lapsed message would start again
        event_host.wait_accepted(task.reply_to.instance_id)

    assert [line.split()[1] for line in lines(record)] == ["start", "end"]


def test_progress_held_back_by_the_rate_limit_is_sent_once_the_interval_passes(
    queue, worker_env, event_host
):
    task = make_task("test.progress_then_sleep", {"seconds": 2})
    queue.send(task)
    sink = RecordingSink()

    with running_worker(worker_env, sink):
        wait_until(lambda: len(sink.updates) >= 2, 30, "the second progress update")
        assert not event_host.accepted(task.reply_to.instance_id), "sent only at the end"
        event_host.wait_accepted(task.reply_to.instance_id)

    assert sink.updates[:2] == [(task.task_id, 10.0, "first"), (task.task_id, 20.0, "second")]
