"""The worker as a real process (``python -m container_worker``), killed or stopped mid-task."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from container_worker.checkpoints import TaskStore
from tests.support.polling import wait_until
from tests.worker.support import (
    make_task,
    queue_length,
    raw_queue,
    worker_process,
)


def steps_by_pid(path: Path) -> dict[int, list[int]]:
    runs: dict[int, list[int]] = {}
    for line in path.read_text().splitlines():
        pid, step = line.split()
        runs.setdefault(int(pid), []).append(int(step))
    return runs


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_killed_worker_message_returns_and_next_worker_resumes_from_checkpoint(
    queue, worker_env, event_host, store: TaskStore, tmp_path: Path
):
    steps = tmp_path / "steps.txt"
    task = make_task("test.steps", {"total": 10, "step_seconds": 0.3, "record": str(steps)})
    queue.send(task)

    first = worker_process(worker_env, tmp_path / "first.log")
    try:
        wait_until(
            lambda: (store.load_checkpoint(task) or {}).get("done", 0) >= 3,
            60,
            "three checkpointed steps",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    [first_pid] = steps_by_pid(steps)
    wait_until(lambda: not alive(first_pid), 15, "the orphaned task process to exit")
    done = store.load_checkpoint(task)["done"]
    assert queue_length(worker_env) == 1, "the message must survive its worker"

    second = worker_process(worker_env, tmp_path / "second.log")
    try:
        [event] = event_host.wait_accepted(task.reply_to.instance_id, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)

    runs = steps_by_pid(steps)
    [second_pid] = set(runs) - {first_pid}
    assert runs[second_pid] == list(range(done + 1, 11)), "work before the checkpoint was redone"
    assert runs[first_pid][:done] == list(range(1, done + 1))
    assert event.result().output == {"resumed_after": done}
    wait_until(lambda: queue_length(worker_env) == 0, 10, "the message to be completed")


def test_sigterm_saves_the_checkpoint_abandons_the_message_and_exits_cleanly(
    queue, worker_env, event_host, store: TaskStore, tmp_path: Path
):
    steps = tmp_path / "steps.txt"
    task = make_task("test.steps", {"total": 30, "step_seconds": 0.3, "record": str(steps)})
    queue.send(task)
    log = tmp_path / "worker.log"

    worker = worker_process(worker_env, log)
    try:
        wait_until(
            lambda: (store.load_checkpoint(task) or {}).get("done", 0) >= 2,
            60,
            "two checkpointed steps",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0, log.read_text()
    finally:
        stop(worker)

    [pid] = steps_by_pid(steps)
    assert not alive(pid), "the task process outlived the worker"
    ran = steps_by_pid(steps)[pid]
    assert store.load_checkpoint(task) == {"done": ran[-1]}
    # Visible again at once (abandoned), not after the 3 s visibility timeout.
    with raw_queue(worker_env) as client:
        assert len(client.peek_messages()) == 1
    assert event_host.calls_for(task) == []
    assert "handed back to the queue" in log.read_text()
