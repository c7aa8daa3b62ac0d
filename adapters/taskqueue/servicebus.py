"""Azure Service Bus: the task queue in Azure (peek-lock receive mode).

Differences from storage queues, hidden behind `TaskQueue`:
- the lock duration is a property of the queue (Bicep), so ``visibility_timeout`` only sets
  how often the worker renews; `renew` calls ``renew_message_lock``;
- the SDK's ``delivery_count`` is the AMQP header (0 on the first delivery), so one is added
  to keep the interface's 1-based count;
- Service Bus dead-letters on its own after the queue's ``maxDeliveryCount``, silently for
  the orchestration: keep ``DAGMASTER_TASK_QUEUE_MAX_DELIVERIES`` below it so the worker
  dead-letters first and raises the failure event.

The client is duck-typed (``get_queue_sender`` / ``get_queue_receiver``) so tests can pass a
stand-in with the same methods as azure-servicebus's sender and receiver.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.servicebus.exceptions import MessageAlreadySettled, MessageLockLostError

from adapters.taskqueue.base import MessageLost, ReceivedTask, TaskQueue, parse_body
from adapters.taskqueue.blobs import JsonBlobs
from config.settings import TaskQueueSettings
from domain.tasks import TaskMessage

log = logging.getLogger(__name__)

# Standard tier allows 256 KiB per message including headers and properties.
SERVICEBUS_MAX_BODY = 192 * 1024
LOST = (MessageLockLostError, MessageAlreadySettled)


def servicebus_client(settings: TaskQueueSettings) -> ServiceBusClient:
    if settings.servicebus_connection_string:
        return ServiceBusClient.from_connection_string(settings.servicebus_connection_string)
    from azure.identity import DefaultAzureCredential

    return ServiceBusClient(str(settings.servicebus_namespace), DefaultAzureCredential())


def message_body(message: Any) -> str:
    """The text of a received message (a data body arrives as a generator of byte chunks)."""
    body = message.body
    if isinstance(body, bytes | str):
        return body.decode() if isinstance(body, bytes) else body
    return b"".join(body).decode()


class ServiceBusTaskQueue(TaskQueue):
    max_body_bytes = SERVICEBUS_MAX_BODY

    def __init__(
        self,
        client: Any,
        queue_name: str,
        payloads: JsonBlobs,
        max_deliveries: int,
        max_wait_seconds: float = 1.0,
    ) -> None:
        super().__init__(payloads, max_deliveries)
        self._client = client
        self._sender = client.get_queue_sender(queue_name)
        self._receiver = client.get_queue_receiver(queue_name)
        self._max_wait = max_wait_seconds

    def _send_body(self, body: str, message: TaskMessage) -> None:
        # message_id = task key lets Service Bus duplicate detection drop double dispatches.
        self._sender.send_messages(
            ServiceBusMessage(
                body,
                content_type="application/json",
                message_id=message.task_id.key(),
                subject=message.handler,
            )
        )

    def receive(self, max_messages: int, visibility_timeout: float) -> list[ReceivedTask]:
        received: list[ReceivedTask] = []
        for raw in self._receiver.receive_messages(
            max_message_count=max_messages, max_wait_time=self._max_wait
        ):
            parsed = parse_body(message_body(raw))
            if isinstance(parsed, str):
                log.error("dead-lettering Service Bus message %s: %s", raw.message_id, parsed)
                self._receiver.dead_letter_message(
                    raw, reason="invalid_message", error_description=parsed
                )
                continue
            count = (raw.delivery_count or 0) + 1
            received.append(ReceivedTask(parsed, count, visibility_timeout, raw))
        return received

    def complete(self, received: ReceivedTask) -> None:
        self._settle("complete_message", received)

    def abandon(self, received: ReceivedTask) -> None:
        self._settle("abandon_message", received)

    def renew(self, received: ReceivedTask) -> None:
        self._settle("renew_message_lock", received)

    def dead_letter(self, received: ReceivedTask, reason: str) -> None:
        log.warning("dead-lettering task %s: %s", received.message.task_id.key(), reason)
        self._settle("dead_letter_message", received, reason=reason[:200], error_description=reason)

    def close(self) -> None:
        self._receiver.close()
        self._sender.close()
        self._client.close()
        super().close()

    def _settle(self, operation: str, received: ReceivedTask, **kwargs: str) -> None:
        try:
            getattr(self._receiver, operation)(received.handle, **kwargs)
        except LOST as exc:
            key = received.message.task_id.key()
            raise MessageLost(f"Service Bus message for {key} was lost: {exc}") from exc
