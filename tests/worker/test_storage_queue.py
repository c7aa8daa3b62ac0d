"""The Storage-queue task queue, on Azurite: typed messages, settlement, poison queue, payloads."""

from __future__ import annotations

import time

import pytest

from adapters.taskqueue import MessageLost, PayloadTooLarge, TaskQueue
from domain.tasks import TaskMessage
from tests.worker.support import make_task, queue_length, raw_queue


def receive_one(queue: TaskQueue, visibility_timeout: float = 5):
    [received] = queue.receive(1, visibility_timeout)
    return received


def test_sent_message_is_received_typed_on_its_first_delivery(queue):
    task = make_task("test.echo", {"a": 1}, timeout=30)
    queue.send(task)

    received = receive_one(queue)

    assert received.message == task
    assert received.delivery_count == queue.delivery_count(received) == 1


def test_receive_returns_at_most_the_requested_number(queue):
    for _ in range(3):
        queue.send(make_task("test.echo"))

    assert len(queue.receive(2, 5)) == 2
    assert len(queue.receive(5, 5)) == 1
    assert queue.receive(5, 5) == []


def test_abandoned_message_is_redelivered_at_once_with_a_higher_delivery_count(queue):
    queue.send(make_task("test.echo"))
    queue.abandon(receive_one(queue, visibility_timeout=60))

    assert receive_one(queue).delivery_count == 2


def test_completed_message_is_gone(queue, worker_env):
    queue.send(make_task("test.echo"))
    queue.complete(receive_one(queue))

    assert queue_length(worker_env) == 0


def test_renew_keeps_the_message_hidden_past_its_visibility_timeout(queue):
    queue.send(make_task("test.echo"))
    received = receive_one(queue, visibility_timeout=1)

    time.sleep(0.6)
    queue.renew(received)
    time.sleep(0.7)  # 1.3 s after the receive: visible again without the renewal
    assert queue.receive(1, 1) == []

    time.sleep(0.6)
    assert receive_one(queue).delivery_count == 2


def test_settling_a_message_whose_visibility_expired_raises_message_lost(queue):
    queue.send(make_task("test.echo"))
    stale = receive_one(queue, visibility_timeout=1)
    time.sleep(1.2)
    receive_one(queue)  # another receiver takes it: the first pop receipt is void

    with pytest.raises(MessageLost):
        queue.complete(stale)


def test_dead_lettered_message_moves_unchanged_to_the_poison_queue(queue, worker_env):
    task = make_task("test.echo")
    queue.send(task)
    queue.dead_letter(receive_one(queue), "worker_crashed: exit code -11")

    assert queue_length(worker_env) == 0
    with raw_queue(worker_env, "-poison") as poison:
        [kept] = poison.peek_messages()
    assert TaskMessage.model_validate_json(kept.content) == task


def test_message_that_is_not_a_task_goes_to_poison_and_is_not_returned(queue, worker_env):
    with raw_queue(worker_env) as client:
        client.send_message('{"not": "a task"}')

    assert queue.receive(1, 5) == []
    assert queue_length(worker_env, "-poison") == 1


def test_params_over_the_size_limit_travel_by_blob_reference(queue):
    params = {"blob": "x" * 70_000}
    task = make_task("test.echo", params)
    queue.send(task)

    received = receive_one(queue)

    assert received.message.params is None
    ref = received.message.params_ref
    assert ref == f"dagmaster-payloads/{task.task_id.key()}/params.json"
    assert queue.resolve_params(received.message) == params


def test_xml_escaping_counts_towards_the_size_limit(queue):
    params = {"expr": "<&>" * 13_000}  # 39 KB as JSON, but about 150 KB once escaped
    queue.send(make_task("test.echo", params))

    received = receive_one(queue)

    assert received.message.params_ref is not None
    assert queue.resolve_params(received.message) == params


def test_message_too_large_even_without_params_is_refused(queue):
    task = make_task("test.echo").model_copy(update={"checkpoint_ref": "c/" + "x" * 70_000})

    with pytest.raises(PayloadTooLarge, match="the limit is"):
        queue.send(task)
