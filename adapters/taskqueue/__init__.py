"""The heavy-task queue: one interface, Service Bus (Azure) or Storage queues (Azurite).

`open_task_queue` picks the implementation named by ``DAGMASTER_TASK_QUEUE``; see
`config.settings.TaskQueueSettings` for every setting and `adapters.taskqueue.base` for the
contract.
"""

from __future__ import annotations

from adapters.blob import open_blob_store
from adapters.taskqueue.base import (
    PAYLOAD_CONTAINER,
    MessageLost,
    PayloadMissing,
    PayloadTooLarge,
    ReceivedTask,
    TaskQueue,
)
from adapters.taskqueue.blobs import JsonBlobs
from config.settings import SettingsError, StorageSettings, TaskQueueSettings  # re-exported


def open_task_queue(settings: TaskQueueSettings, blobs: JsonBlobs | None = None) -> TaskQueue:
    """The configured queue; ``blobs`` (for large payloads) defaults to the storage account."""
    payloads = blobs or JsonBlobs(open_blob_store(settings.storage))
    if settings.backend == "servicebus":
        from adapters.taskqueue.servicebus import ServiceBusTaskQueue, servicebus_client

        client = servicebus_client(settings)
        return ServiceBusTaskQueue(client, settings.queue_name, payloads, settings.max_deliveries)
    from adapters.taskqueue.storage import StorageTaskQueue

    return StorageTaskQueue.open(
        settings.storage, settings.queue_name, payloads, settings.max_deliveries
    )


__all__ = [
    "PAYLOAD_CONTAINER",
    "JsonBlobs",
    "MessageLost",
    "PayloadMissing",
    "PayloadTooLarge",
    "ReceivedTask",
    "SettingsError",
    "StorageSettings",
    "TaskQueue",
    "TaskQueueSettings",
    "open_task_queue",
]
