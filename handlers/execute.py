"""One attempt of a handler, run the same way by the `run_handler` activity (light) and by the
container worker's task process (heavy); both are transports around `execute`.

In order:

1. large-output references in the params (`domain.offload`) are read from blob storage; a
   stored output that is gone fails the attempt as ``payload_missing`` (not retryable);
2. the handler runs (params validated by the registry); whatever it raises is classified
   into an `ErrorInfo` (`classify`), with SAS signatures redacted from the message;
3. an output that is not JSON fails as ``invalid_output``; one larger than
   ``large_output_bytes`` is stored whole and replaced by its stub (`adapters.outputs`).

The outcome is always a `TaskResult`: a handler's failure never raises out of here. What
does raise is a fault of the blob storage itself, which the transport retries as it can.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from adapters.outputs import JsonDocuments, contains_ref, offload, resolve_refs
from domain.errors import ErrorInfo
from domain.tasks import TaskId, TaskResult
from handlers.base import HandlerContext, HandlerError, redact, registry

log = logging.getLogger("dagmaster.handlers")


def classify(exc: BaseException) -> ErrorInfo:
    """The `ErrorInfo` the orchestrator sees for an exception escaping a handler."""
    if isinstance(exc, HandlerError):
        return ErrorInfo(kind=exc.kind, message=exc.message, retryable=exc.retryable)
    if isinstance(exc, MemoryError):
        return ErrorInfo(
            kind="out_of_memory", message="the task ran out of memory", retryable=False
        )
    return ErrorInfo(
        kind="unexpected", message=redact(f"{type(exc).__name__}: {exc}"), retryable=True
    )


def execute(
    task_id: TaskId,
    handler: str,
    params: dict[str, Any],
    *,
    ctx: HandlerContext,
    blobs: Callable[[], JsonDocuments],
    large_output_bytes: int,
    guard: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> TaskResult:
    """Run ``handler`` on ``params`` for ``task_id``. ``blobs`` is called only when a blob is
    to be read or written; only the handler call itself runs inside ``guard`` (the worker's
    memory limit), so reading and writing blobs do not count against it."""
    blobs = cache(blobs)
    try:
        if contains_ref(params):
            params = resolve_refs(blobs(), params)
    except LookupError as exc:
        return TaskResult.failed(task_id, "payload_missing", str(exc), retryable=False)
    try:
        with guard():
            output = registry.run(handler, params, ctx)
    except BaseException as exc:  # everything a handler raises becomes a classified result
        error = classify(exc)
        if isinstance(exc, HandlerError):
            log.warning("task %s failed: %s: %s", task_id.key(), error.kind, error.message)
        else:
            log.exception("task %s failed unexpectedly", task_id.key())
        return TaskResult(task_id=task_id, status="failed", error=error)
    try:
        json.dumps(output)  # the result travels as JSON: refuse what cannot
    except (TypeError, ValueError) as exc:
        message = f"output is not JSON: {exc}"
        return TaskResult.failed(task_id, "invalid_output", message, retryable=False)
    return TaskResult.completed(
        task_id, offload(blobs, output, large_output_bytes, key=task_id.key())
    )


__all__ = ["classify", "execute"]
