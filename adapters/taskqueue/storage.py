"""Azure Storage queues (Azurite locally): the task queue for local runs and tests.

Mirrors what the Functions host does with storage queues: a message whose processing keeps
failing moves to ``<name>-poison`` (with its original body, so it can be re-queued as is).
"Renew" extends the message's visibility timeout; every update yields a new pop receipt,
kept in the `ReceivedTask` handle.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from xml.sax.saxutils import escape

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage

from adapters.taskqueue.base import MessageLost, ReceivedTask, TaskQueue, parse_body
from adapters.taskqueue.blobs import JsonBlobs
from config.settings import StorageSettings
from domain.tasks import TaskMessage

log = logging.getLogger(__name__)

# The service limit is 64 KiB of message text; the SDK sends it XML-escaped, so the escaped
# size is what counts. The headroom covers the XML envelope.
STORAGE_MAX_BODY = 64 * 1024 - 512


def poison_queue_name(name: str) -> str:
    return f"{name}-poison"


def queue_client(settings: StorageSettings, name: str) -> QueueClient:
    """A queue client from the connection string, else the queue URL with a managed identity."""
    if settings.connection_string:
        return QueueClient.from_connection_string(
            settings.connection_string.get_secret_value(), name
        )
    from azure.identity import DefaultAzureCredential

    return QueueClient(str(settings.queue_url), name, credential=DefaultAzureCredential())


def _create(client: QueueClient) -> QueueClient:
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


class StorageTaskQueue(TaskQueue):
    max_body_bytes = STORAGE_MAX_BODY

    def __init__(
        self, queue: QueueClient, poison: QueueClient, payloads: JsonBlobs, max_deliveries: int
    ) -> None:
        super().__init__(payloads, max_deliveries)
        self._queue = _create(queue)
        self._poison = _create(poison)

    @classmethod
    def open(
        cls, settings: StorageSettings, name: str, payloads: JsonBlobs, max_deliveries: int
    ) -> StorageTaskQueue:
        return cls(
            queue_client(settings, name),
            queue_client(settings, poison_queue_name(name)),
            payloads,
            max_deliveries,
        )

    def close(self) -> None:
        self._queue.close()
        self._poison.close()
        super().close()

    def _body_size(self, body: str) -> int:
        return len(escape(body).encode())

    def _send_body(self, body: str, message: TaskMessage) -> None:
        self._queue.send_message(body)

    def receive(self, max_messages: int, visibility_timeout: float) -> list[ReceivedTask]:
        seconds = max(1, math.ceil(visibility_timeout))
        received: list[ReceivedTask] = []
        for raw in self._queue.receive_messages(
            messages_per_page=max_messages, max_messages=max_messages, visibility_timeout=seconds
        ):
            parsed = parse_body(str(raw.content))
            if isinstance(parsed, str):
                log.error("dead-lettering queue message %s: %s", raw.id, parsed)
                self._to_poison(raw)
                continue
            received.append(ReceivedTask(parsed, int(raw.dequeue_count or 1), seconds, raw))
        return received

    def complete(self, received: ReceivedTask) -> None:
        raw: QueueMessage = received.handle
        self._settle(lambda: self._queue.delete_message(raw.id, raw.pop_receipt), received)

    def abandon(self, received: ReceivedTask) -> None:
        self._update(received, visibility_timeout=0)

    def renew(self, received: ReceivedTask) -> None:
        self._update(received, visibility_timeout=math.ceil(received.visibility_timeout))

    def dead_letter(self, received: ReceivedTask, reason: str) -> None:
        log.warning(
            "moving task %s to %s: %s",
            received.message.task_id.key(),
            self._poison.queue_name,
            reason,
        )
        self._to_poison(received.handle, received)

    def _to_poison(self, raw: QueueMessage, received: ReceivedTask | None = None) -> None:
        self._poison.send_message(raw.content)
        self._settle(lambda: self._queue.delete_message(raw.id, raw.pop_receipt), received)

    def _update(self, received: ReceivedTask, visibility_timeout: int) -> None:
        raw: QueueMessage = received.handle

        def update() -> None:
            updated = self._queue.update_message(
                raw.id, raw.pop_receipt, visibility_timeout=visibility_timeout
            )
            raw.pop_receipt = updated.pop_receipt
            raw.next_visible_on = updated.next_visible_on

        self._settle(update, received)

    def _settle(self, operation: Callable[[], object], received: ReceivedTask | None) -> None:
        try:
            operation()
        except (ResourceNotFoundError, HttpResponseError) as exc:
            # 404 (gone) and 400 (stale pop receipt) both mean another receiver owns it now.
            if getattr(exc, "status_code", None) not in (400, 404):
                raise
            what = received.message.task_id.key() if received else "invalid message"
            raise MessageLost(f"queue message for {what} was lost: {exc.message}") from exc
