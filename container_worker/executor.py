"""Runs one task in its own process, so a GDAL crash or a memory blow-up kills that task only.

The child is started with the ``spawn`` context (no state inherited from the supervisor),
imports the handler modules, runs the handler and talks to the supervisor over a pipe:

    child -> parent   ("progress", percent, message)
                      ("checkpoint", state)        then waits for the reply
                      ("result", TaskResult JSON)  last, then the child exits
    parent -> child   ("ack", "") once the checkpoint is durable, or ("nack", reason)

So `save_checkpoint` returns only once the state is in blob storage. A child whose parent
disappears (SIGKILL of the worker) exits by itself within a second.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from container_worker.logs import configure_logging
from domain.errors import ErrorInfo
from domain.tasks import TaskId, TaskMessage, TaskResult
from handlers.base import HandlerError, RetryableError, redact

log = logging.getLogger(__name__)

SPAWN = multiprocessing.get_context("spawn")
ORPHAN_EXIT_CODE = 70


@dataclass(frozen=True)
class TaskSpec:
    """Everything the child needs; pickled across the spawn boundary."""

    message: TaskMessage
    params: dict[str, Any]
    checkpoint: dict[str, Any] | None
    handlers_modules: tuple[str, ...]
    memory_limit_mb: int | None = None


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


def failed(task_id: TaskId, kind: str, message: str, retryable: bool) -> TaskResult:
    error = ErrorInfo(kind=kind, message=message, retryable=retryable)
    return TaskResult(task_id=task_id, status="failed", error=error)


class PipeContext:
    """The `HandlerContext` of a task running in a child process."""

    def __init__(
        self, conn: Connection, task_id: TaskId, checkpoint: dict[str, Any] | None
    ) -> None:
        self._conn = conn
        self.job_id = task_id.job_id
        self.node_id = task_id.node_id
        self.attempt = task_id.attempt
        self.checkpoint = checkpoint

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        state = json.loads(json.dumps(state))  # JSON only, and fail here rather than later
        self._conn.send(("checkpoint", state))
        verdict, reason = self._conn.recv()
        if verdict != "ack":
            raise RetryableError(f"checkpoint not saved: {reason}", kind="checkpoint_failed")
        self.checkpoint = state

    def report_progress(self, percent: float, message: str = "") -> None:
        self._conn.send(("progress", float(percent), str(message)))


def _exit_when_orphaned(parent_pid: int) -> None:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(ORPHAN_EXIT_CODE)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def _limit_memory(megabytes: int | None) -> None:
    if megabytes:
        limit = megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _run(conn: Connection, spec: TaskSpec) -> TaskResult:
    task_id = spec.message.task_id
    try:
        for module in spec.handlers_modules:
            importlib.import_module(module)
        from handlers.base import registry

        _limit_memory(spec.memory_limit_mb)
        ctx = PipeContext(conn, task_id, spec.checkpoint)
        output = registry.run(spec.message.handler, spec.params, ctx)
    except BaseException as exc:  # everything the handler raises becomes a classified result
        error = classify(exc)
        if isinstance(exc, HandlerError):
            log.warning("task %s failed: %s: %s", task_id.key(), error.kind, error.message)
        else:
            log.exception("task %s failed unexpectedly", task_id.key())
        return TaskResult(task_id=task_id, status="failed", error=error)
    try:
        json.dumps(output)  # the result travels as JSON: refuse what cannot
    except (TypeError, ValueError) as exc:
        return failed(task_id, "invalid_output", f"output is not JSON: {exc}", retryable=False)
    return TaskResult(task_id=task_id, status="completed", output=output)


def child_main(conn: Connection, spec: TaskSpec, parent_pid: int) -> None:
    """Entry point of the task process."""
    # Ctrl-C reaches the whole process group; only the supervisor decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_when_orphaned(parent_pid)
    configure_logging()
    result = _run(conn, spec)
    conn.send(("result", result.model_dump(mode="json")))
    conn.close()


class TaskProcess:
    """The supervisor's handle on one running child."""

    def __init__(self, spec: TaskSpec) -> None:
        self.task_id = spec.message.task_id
        self.conn, child_conn = SPAWN.Pipe()
        self._process = SPAWN.Process(
            target=child_main,
            args=(child_conn, spec, os.getpid()),
            name=f"task {self.task_id.key()}",
        )
        self._process.start()
        child_conn.close()  # so a dead child shows up as EOF on our end

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def events(self) -> list[tuple[Any, ...]]:
        """Every message the child has sent so far, without blocking."""
        received: list[tuple[Any, ...]] = []
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                received.append(self.conn.recv())
        return received

    def reply(self, verdict: str, reason: str = "") -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send((verdict, reason))

    def exitcode(self) -> int | None:
        return self._process.exitcode

    def stop(self, grace: float = 2.0) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(grace)
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)
        self.conn.close()

    def join(self, timeout: float) -> None:
        self._process.join(timeout)
