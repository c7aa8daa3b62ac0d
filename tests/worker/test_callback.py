"""Raising the result event: which answers are retried, which are final."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from container_worker.callback import (
    CallbackRejected,
    CallbackSettings,
    CallbackUnavailable,
    Delivery,
    EventCallback,
)
from domain.tasks import TaskResult
from tests.support.polling import wait_until
from tests.worker.support import (
    make_task,
    queue_length,
    running_worker,
)

FAST = {"max_attempts": 3, "backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.05}


def completed(task) -> TaskResult:
    return TaskResult(task_id=task.task_id, status="completed", output={"n": 1})


def test_event_goes_to_the_instance_webhook_with_encoded_names(event_host):
    task = make_task("test.echo")
    callback = EventCallback(CallbackSettings(base_url=event_host.url + "/", **FAST))

    assert callback.raise_event(task.reply_to, completed(task)) is Delivery.ACCEPTED

    assert "/raiseEvent/task%3Aheavy%3A1" in callback.url(task.reply_to)
    [call] = event_host.calls_for(task)
    assert call.event_name == "task:heavy:1"
    assert call.query == {"taskHub": "TestHub"}  # no system key configured: no code=
    assert call.body == completed(task).model_dump(mode="json")


def test_too_many_requests_is_retried(event_host):
    task = make_task("test.echo")
    event_host.fail_next(429)
    callback = EventCallback(CallbackSettings(base_url=event_host.url, **FAST))

    assert callback.raise_event(task.reply_to, completed(task)) is Delivery.ACCEPTED
    assert [c.status for c in event_host.calls_for(task)] == [429, 202]


def test_bad_request_is_rejected_without_retry(event_host):
    task = make_task("test.echo")
    event_host.fail_next(400)
    callback = EventCallback(CallbackSettings(base_url=event_host.url, **FAST))

    with pytest.raises(CallbackRejected, match="HTTP 400"):
        callback.raise_event(task.reply_to, completed(task))
    assert len(event_host.calls_for(task)) == 1


def test_unreachable_host_gives_up_after_the_configured_attempts():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    task = make_task("test.echo")
    callback = EventCallback(CallbackSettings(base_url=f"http://127.0.0.1:{port}", **FAST))

    with pytest.raises(CallbackUnavailable, match="failed 3 times"):
        callback.raise_event(task.reply_to, completed(task))


def test_rejected_event_sends_the_message_to_the_poison_queue(
    queue, worker_env, event_host, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    event_host.fail_next(400)
    queue.send(task)

    with running_worker(worker_env):
        wait_until(lambda: queue_length(worker_env, "-poison") == 1, 20, "the poison message")

    assert queue_length(worker_env) == 0
    assert len(runs.read_text().splitlines()) == 1
