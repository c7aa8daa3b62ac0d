"""The worker runs a task and tells the orchestration: results, errors, retries, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.outputs import is_ref, resolve_refs
from domain.tasks import TaskStarted
from tests.support.polling import wait_until
from tests.worker.support import (
    EventHost,
    make_task,
    queue_length,
    raw_queue,
    running_worker,
)


def test_task_runs_and_its_result_event_is_raised_with_the_task_result(
    queue, worker_env, event_host
):
    task = make_task("test.echo", {"colour": "red"})
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(lambda: queue_length(worker_env) == 0, 10, "the message to be completed")

    assert event.event_name == "task:heavy:1"
    assert event.query == {"taskHub": "TestHub", "code": "test-system-key"}
    assert event.content_type.startswith("application/json")
    result = event.result()
    assert result.task_id == task.task_id
    assert result.status == "completed"
    assert result.output == {"params": {"colour": "red"}, "attempt": 1, "checkpoint": None}


def test_a_message_naming_a_started_event_has_it_raised_when_the_task_starts(
    queue, worker_env, event_host
):
    task = make_task("test.echo", {"colour": "red"})
    reply_to = task.reply_to.model_copy(update={"started_event_name": "task:heavy:1:started"})
    task = task.model_copy(update={"reply_to": reply_to})
    queue.send(task)

    with running_worker(worker_env):
        events = event_host.wait_accepted(task.reply_to.instance_id, count=2)

    by_name = {e.event_name: e for e in events}
    assert sorted(by_name) == ["task:heavy:1", "task:heavy:1:started"]
    started = TaskStarted.model_validate(by_name["task:heavy:1:started"].body)
    assert started == TaskStarted(task_id=task.task_id, delivery=1)
    assert by_name["task:heavy:1"].query == by_name["task:heavy:1:started"].query
    assert by_name["task:heavy:1"].result().status == "completed"


def test_non_retryable_handler_error_arrives_as_failed_result_with_its_kind(
    queue, worker_env, event_host
):
    task = make_task("test.fail", {"kind": "corrupt_raster", "message": "not a GeoTIFF"})
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    result = event.result()
    assert result.status == "failed"
    assert result.output is None
    assert result.error is not None
    assert (result.error.kind, result.error.message) == ("corrupt_raster", "not a GeoTIFF")
    assert result.error.retryable is False


def test_unknown_handler_fails_without_retry(queue, worker_env, event_host):
    task = make_task("test.no_such_handler")
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    assert event.result().error.kind == "unknown_handler"
    assert event.result().error.retryable is False


def test_message_is_completed_only_after_the_event_is_accepted(
    queue, worker_env, event_host: EventHost, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    event_host.fail_next(503, 503)
    queue.send(task)

    with running_worker(worker_env):
        event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(lambda: queue_length(worker_env) == 0, 10, "the message to be completed")

    attempts = [c.status for c in event_host.calls_for(task)]
    assert attempts == [503, 503, 202]
    assert len(runs.read_text().splitlines()) == 1


def test_message_stays_queued_while_the_event_endpoint_keeps_failing(
    queue, worker_env, event_host: EventHost, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    event_host.fail_next(*[500] * 4)  # as many as the worker's attempts
    queue.send(task)

    with running_worker(worker_env):
        wait_until(lambda: len(event_host.calls_for(task)) >= 4, 10, "four failed attempts")
        # The message was abandoned, not completed: it comes back and only the event is re-sent.
        event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(lambda: queue_length(worker_env) == 0, 10, "the message to be completed")

    assert len(runs.read_text().splitlines()) == 1


def test_duplicate_delivery_of_a_finished_task_does_not_rerun_the_handler(
    queue, worker_env, event_host, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    queue.send(task)

    with running_worker(worker_env):
        event_host.wait_accepted(task.reply_to.instance_id)
        queue.send(task)  # e.g. the dispatch activity ran twice
        events = event_host.wait_accepted(task.reply_to.instance_id, count=2)
        wait_until(lambda: queue_length(worker_env) == 0, 10, "both messages to be completed")

    assert len(runs.read_text().splitlines()) == 1
    assert events[0].body == events[1].body


def test_event_for_a_finished_orchestration_is_dropped_and_the_message_completed(
    queue, worker_env, event_host
):
    task = make_task("test.echo")
    event_host.gone.add(task.reply_to.instance_id)
    queue.send(task)

    with running_worker(worker_env):
        wait_until(lambda: [c.status for c in event_host.calls_for(task)] == [410], 20, "a 410")
        wait_until(lambda: queue_length(worker_env) == 0, 10, "the message to be completed")


def test_large_params_travel_through_blob_storage(queue, worker_env, event_host):
    big = {"tiles": [f"tile-{i:06d}-" + "x" * 40 for i in range(2000)]}  # ~100 KB
    task = make_task("test.echo", big)
    queue.send(task)

    with raw_queue(worker_env) as client:
        [peeked] = client.peek_messages()
    assert len(peeked.content) < 2000
    assert '"params_ref":"dagmaster-payloads/' in peeked.content

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    output = resolve_refs(queue.payloads, event.result().output)
    assert output["params"] == big


def test_large_output_goes_to_blob_storage_and_the_event_carries_its_stub(
    queue, worker_env, event_host
):
    big = {"tiles": [f"tile-{i:06d}-" + "x" * 40 for i in range(2000)]}  # ~100 KB
    task = make_task("test.echo", big)
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    output = event.result().output
    assert output["attempt"] == 1  # small fields stay inline
    assert is_ref(output["params"]["tiles"])
    assert len(json.dumps(event.body)) < 2_000
    assert resolve_refs(queue.payloads, output)["params"] == big


def test_references_in_params_are_read_before_the_handler_runs(queue, worker_env, event_host):
    tiles = [{"row": i} for i in range(3)]
    queue.payloads.put("dagmaster-outputs/job-0/plan/1.json", {"tiles": tiles})
    ref = {"$ref": "dagmaster-outputs/job-0/plan/1.json", "path": ["tiles", 2]}
    task = make_task("test.echo", {"tile": ref})
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    assert event.result().output["params"] == {"tile": {"row": 2}}


def test_missing_referenced_output_fails_the_task_without_retry(queue, worker_env, event_host):
    ref = {"$ref": "dagmaster-outputs/job-0/gone/1.json", "size": 50_000}
    task = make_task("test.echo", {"tile": ref})
    queue.send(task)

    with running_worker(worker_env):
        [event] = event_host.wait_accepted(task.reply_to.instance_id)

    result = event.result()
    assert result.status == "failed"
    assert result.error is not None and result.error.kind == "payload_missing"
    assert not result.error.retryable
    assert "dagmaster-outputs/job-0/gone/1.json is missing" in result.error.message


def test_task_of_an_ended_orchestration_is_dropped_without_running(
    queue, worker_env, event_host, tmp_path: Path
):
    runs = tmp_path / "runs.txt"
    task = make_task("test.count", {"record": str(runs)})
    event_host.ended.add(task.reply_to.instance_id)  # e.g. its job was cancelled meanwhile
    queue.send(task)

    with running_worker(worker_env):
        wait_until(lambda: queue_length(worker_env) == 0, 20, "the message to be completed")

    assert not runs.exists()
    assert event_host.calls_for(task) == []
