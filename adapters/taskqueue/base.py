"""The task-queue interface shared by the Service Bus and Storage-queue implementations.

Contract:
- `send` puts a typed `TaskMessage` on the queue as JSON. When the message would exceed the
  queue's size limit, its ``params`` go to blob storage (`PAYLOAD_CONTAINER`) and the message
  carries ``params_ref`` instead; `resolve_params` reads them back on the other side.
- `receive` returns at most ``max_messages`` messages, each hidden from other receivers for
  ``visibility_timeout`` seconds (Service Bus: the queue's lock duration). Bodies that are not
  a valid `TaskMessage` are dead-lettered there and never returned: nobody could answer them.
- Exactly one of `complete`, `abandon` (redeliver now) or `dead_letter` settles a message;
  `renew` extends its invisibility / lock while it is being worked on.
- ``delivery_count`` is 1 on the first delivery and grows with every redelivery.
- Settling or renewing a message whose lock was lost raises `MessageLost`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from adapters.taskqueue.blobs import JsonBlobs
from domain.tasks import TaskMessage

log = logging.getLogger(__name__)

PAYLOAD_CONTAINER = "dagmaster-payloads"


class MessageLost(RuntimeError):
    """The message's lock or pop receipt expired: another receiver may own it now."""


class PayloadTooLarge(ValueError):
    """The message is too large even with its params offloaded to blob storage."""


class PayloadMissing(LookupError):
    """A ``params_ref`` points at a blob that does not exist."""


@dataclass
class ReceivedTask:
    """One received message. ``handle`` is the implementation's own (mutable) message handle."""

    message: TaskMessage
    delivery_count: int
    visibility_timeout: float
    handle: Any


def parse_body(body: str) -> TaskMessage | str:
    """The message in ``body``, or the reason it is not a valid `TaskMessage`."""
    try:
        return TaskMessage.model_validate_json(body)
    except ValidationError as exc:
        return f"invalid task message: {exc.error_count()} error(s): {exc.errors()[0]['msg']}"


def payload_ref(message: TaskMessage) -> str:
    return f"{PAYLOAD_CONTAINER}/{message.task_id.key()}/params.json"


class TaskQueue(ABC):
    """A queue of `TaskMessage`; see the module docstring for the contract."""

    #: The largest encoded body this queue sends as is (with headroom below the service limit).
    max_body_bytes: int

    def __init__(self, payloads: JsonBlobs, max_deliveries: int) -> None:
        self.payloads = payloads
        self.max_deliveries = max_deliveries

    def send(self, message: TaskMessage) -> None:
        body = message.model_dump_json()
        if self._body_size(body) > self.max_body_bytes and message.params is not None:
            ref = payload_ref(message)
            self.payloads.put(ref, message.params)
            message = message.model_copy(update={"params": None, "params_ref": ref})
            body = message.model_dump_json()
        size = self._body_size(body)
        if size > self.max_body_bytes:
            raise PayloadTooLarge(
                f"Task message {message.task_id.key()} is {size} bytes without its params; "
                f"the limit is {self.max_body_bytes}."
            )
        self._send_body(body, message)

    def resolve_params(self, message: TaskMessage) -> dict[str, Any]:
        """The message's params, read from blob storage when they travelled by reference."""
        if message.params_ref is None:
            return dict(message.params or {})
        params = self.payloads.get(message.params_ref)
        if params is None:
            raise PayloadMissing(f"params blob '{message.params_ref}' does not exist")
        return dict(params)

    def delivery_count(self, received: ReceivedTask) -> int:
        return received.delivery_count

    def close(self) -> None:
        self.payloads.close()

    def _body_size(self, body: str) -> int:
        return len(body.encode())

    @abstractmethod
    def _send_body(self, body: str, message: TaskMessage) -> None: ...

    @abstractmethod
    def receive(self, max_messages: int, visibility_timeout: float) -> list[ReceivedTask]: ...

    @abstractmethod
    def complete(self, received: ReceivedTask) -> None: ...

    @abstractmethod
    def abandon(self, received: ReceivedTask) -> None: ...

    @abstractmethod
    def renew(self, received: ReceivedTask) -> None: ...

    @abstractmethod
    def dead_letter(self, received: ReceivedTask, reason: str) -> None: ...
