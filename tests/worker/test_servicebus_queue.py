"""The Service Bus task queue against a fake client with azure-servicebus's interface."""

from __future__ import annotations

import threading

import pytest
from azure.servicebus import ServiceBusMessage

from adapters.blob import open_blob_store
from adapters.taskqueue import (
    JsonBlobs,
    MessageLost,
    TaskQueueSettings,
    open_task_queue,
)
from adapters.taskqueue.servicebus import ServiceBusTaskQueue
from config.settings import StorageSettings, WorkerSettings
from container_worker.callback import EventCallback
from container_worker.checkpoints import TaskStore
from container_worker.progress import LoggingProgressSink
from container_worker.worker import Worker
from tests.support.polling import wait_until
from tests.worker.fake_servicebus import FakeServiceBusClient
from tests.worker.support import make_task

QUEUE = "heavy"


@pytest.fixture
def blobs(worker_env):
    opened = JsonBlobs(open_blob_store(StorageSettings.from_env(worker_env)))
    yield opened
    opened.close()


@pytest.fixture
def client() -> FakeServiceBusClient:
    return FakeServiceBusClient()


@pytest.fixture
def sb_queue(client, blobs) -> ServiceBusTaskQueue:
    return ServiceBusTaskQueue(client, QUEUE, blobs, max_deliveries=3, max_wait_seconds=0.1)


def test_sent_task_is_a_json_message_keyed_by_task_id(sb_queue, client):
    task = make_task("test.echo", {"a": 1})
    sb_queue.send(task)

    [sent] = client.queues[QUEUE].sent
    assert sent.content_type == "application/json"
    assert sent.message_id == task.task_id.key()  # lets duplicate detection drop re-dispatches
    [received] = sb_queue.receive(5, 30)
    assert received.message == task
    assert received.delivery_count == 1  # the SDK's AMQP count starts at 0


@pytest.mark.parametrize(
    ("operation", "sdk_method"),
    [
        ("complete", "complete_message"),
        ("abandon", "abandon_message"),
        ("renew", "renew_message_lock"),
    ],
)
def test_settlement_calls_the_receiver_with_the_received_message(
    sb_queue, client, operation, sdk_method
):
    sb_queue.send(make_task("test.echo"))
    [received] = sb_queue.receive(1, 30)

    getattr(sb_queue, operation)(received)

    [(name, message, _)] = client.queues[QUEUE].calls
    assert (name, message) == (sdk_method, received.handle)


def test_dead_letter_passes_the_reason_to_service_bus(sb_queue, client):
    sb_queue.send(make_task("test.echo"))
    [received] = sb_queue.receive(1, 30)

    sb_queue.dead_letter(received, "worker_crashed: exit code -9")

    [(name, _, kwargs)] = client.queues[QUEUE].calls
    assert name == "dead_letter_message"
    assert kwargs == {
        "reason": "worker_crashed: exit code -9",
        "error_description": "worker_crashed: exit code -9",
    }


def test_abandoned_message_comes_back_with_a_higher_delivery_count(sb_queue):
    sb_queue.send(make_task("test.echo"))
    [first] = sb_queue.receive(1, 30)
    sb_queue.abandon(first)

    [second] = sb_queue.receive(1, 30)
    assert second.delivery_count == 2


def test_lost_lock_raises_message_lost(sb_queue):
    sb_queue.send(make_task("test.echo"))
    [received] = sb_queue.receive(1, 30)
    received.handle.lock_lost = True

    with pytest.raises(MessageLost):
        sb_queue.renew(received)


def test_message_that_is_not_a_task_is_dead_lettered_on_receive(sb_queue, client):
    client.get_queue_sender(QUEUE).send_messages(ServiceBusMessage('{"not": "a task"}'))

    assert sb_queue.receive(1, 30) == []
    [(name, _, kwargs)] = client.queues[QUEUE].calls
    assert (name, kwargs["reason"]) == ("dead_letter_message", "invalid_message")


def test_params_over_256_kb_travel_by_blob_reference(sb_queue):
    params = {"blob": "y" * 300_000}
    sb_queue.send(make_task("test.echo", params))

    [received] = sb_queue.receive(1, 30)
    assert received.message.params_ref is not None
    assert sb_queue.resolve_params(received.message) == params


def test_worker_over_service_bus_raises_the_event_then_completes_the_message(
    worker_env, event_host, client, sb_queue, blobs
):
    env = {
        **worker_env,
        "DAGMASTER_TASK_QUEUE": "servicebus",
        "DAGMASTER_SERVICEBUS_NAMESPACE": "ns.servicebus.windows.net",
    }
    settings = WorkerSettings.from_env(env)
    task = make_task("test.echo", {"via": "service bus"})
    sb_queue.send(task)
    worker = Worker(
        settings,
        sb_queue,
        TaskStore(blobs),
        EventCallback(settings.callback),
        LoggingProgressSink(),
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        [event] = event_host.wait_accepted(task.reply_to.instance_id)
        wait_until(
            lambda: client.queues[QUEUE].calls_named("complete_message"), 10, "complete_message"
        )
    finally:
        stop.set()
        thread.join(30)

    assert event.result().output["params"] == {"via": "service bus"}


@pytest.mark.parametrize(
    "credential",
    [
        {"DAGMASTER_SERVICEBUS_NAMESPACE": "ns.servicebus.windows.net"},
        {
            "DAGMASTER_SERVICEBUS_CONNECTION_STRING": (
                "Endpoint=sb://ns.servicebus.windows.net/;"
                "SharedAccessKeyName=send;SharedAccessKey=not-a-real-key"
            )
        },
    ],
)
def test_configuration_selects_service_bus_with_identity_or_connection_string(
    worker_env, credential
):
    # Building the client opens no connection: nothing here reaches the network.
    settings = TaskQueueSettings.from_env(
        {**worker_env, "DAGMASTER_TASK_QUEUE": "servicebus", **credential}
    )
    opened = open_task_queue(settings)
    try:
        assert isinstance(opened, ServiceBusTaskQueue)
    finally:
        opened.close()
