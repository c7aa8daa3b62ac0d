"""A stand-in for azure-servicebus's ``ServiceBusClient`` with the same sender/receiver methods.

Service Bus has no emulator that runs here; this fake keeps messages in memory and records
every settlement call, so the adapter can be checked against the SDK's interface.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from azure.servicebus import ServiceBusMessage
from azure.servicebus.exceptions import MessageLockLostError


@dataclass
class FakeReceivedMessage:
    text: str
    message_id: str | None
    delivery_count: int = 0  # the AMQP header: 0 on the first delivery
    lock_lost: bool = False

    @property
    def body(self) -> Any:
        return iter([self.text.encode()])  # a data body: a generator of byte chunks


@dataclass
class FakeQueue:
    pending: list[FakeReceivedMessage] = field(default_factory=list)
    sent: list[ServiceBusMessage] = field(default_factory=list)
    calls: list[tuple[str, FakeReceivedMessage, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls_named(self, name: str) -> list[tuple[str, FakeReceivedMessage, dict[str, Any]]]:
        with self.lock:
            return [c for c in self.calls if c[0] == name]


class FakeSender:
    def __init__(self, queue: FakeQueue) -> None:
        self._queue = queue

    def send_messages(self, message: ServiceBusMessage) -> None:
        with self._queue.lock:
            self._queue.sent.append(message)
            self._queue.pending.append(FakeReceivedMessage(str(message), message.message_id))

    def close(self) -> None:
        pass


class FakeReceiver:
    def __init__(self, queue: FakeQueue) -> None:
        self._queue = queue

    def receive_messages(
        self, max_message_count: int | None = 1, max_wait_time: float | None = None
    ) -> list[FakeReceivedMessage]:
        with self._queue.lock:
            taken = self._queue.pending[: max_message_count or 1]
            del self._queue.pending[: len(taken)]
            return taken

    def complete_message(self, message: FakeReceivedMessage) -> None:
        self._record("complete_message", message)

    def abandon_message(self, message: FakeReceivedMessage) -> None:
        self._record("abandon_message", message)
        with self._queue.lock:
            message.delivery_count += 1
            self._queue.pending.append(message)

    def dead_letter_message(
        self,
        message: FakeReceivedMessage,
        reason: str | None = None,
        error_description: str | None = None,
    ) -> None:
        self._record(
            "dead_letter_message", message, reason=reason, error_description=error_description
        )

    def renew_message_lock(self, message: FakeReceivedMessage, **kwargs: Any) -> None:
        self._record("renew_message_lock", message)

    def close(self) -> None:
        pass

    def _record(self, name: str, message: FakeReceivedMessage, **kwargs: Any) -> None:
        if message.lock_lost:
            raise MessageLockLostError(message="lock lost")
        with self._queue.lock:
            self._queue.calls.append((name, message, kwargs))


class FakeServiceBusClient:
    def __init__(self) -> None:
        self.queues: dict[str, FakeQueue] = {}
        self.closed = False

    def get_queue_sender(self, queue_name: str) -> FakeSender:
        return FakeSender(self.queues.setdefault(queue_name, FakeQueue()))

    def get_queue_receiver(self, queue_name: str) -> FakeReceiver:
        return FakeReceiver(self.queues.setdefault(queue_name, FakeQueue()))

    def close(self) -> None:
        self.closed = True
