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
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from adapters.blob import open_blob_store
from adapters.taskqueue import JsonBlobs
from config.settings import StorageSettings
from container_worker.logs import configure_logging
from domain.tasks import TaskId, TaskMessage, TaskResult
from handlers.base import RetryableError
from handlers.execute import classify, execute

log = logging.getLogger(__name__)

SPAWN = multiprocessing.get_context("spawn")
ORPHAN_EXIT_CODE = 70


@dataclass(frozen=True)
class ProcessSpec:
    """Everything the child needs; pickled across the spawn boundary."""

    message: TaskMessage
    params: dict[str, Any]  # as the message carried them (read back when they went by blob)
    checkpoint: dict[str, Any] | None
    handlers_modules: tuple[str, ...]
    storage: StorageSettings  # where referenced and large outputs live
    memory_limit_mb: int | None = None


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


@contextlib.contextmanager
def _memory_limit(megabytes: int | None) -> Iterator[None]:
    """Address space capped at ``megabytes`` while the handler runs (a hog fails with
    MemoryError instead of taking the machine down), restored afterwards."""
    if not megabytes:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (megabytes * 1024 * 1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _run(conn: Connection, spec: ProcessSpec) -> TaskResult:
    task_id = spec.message.task_id
    try:
        for module in spec.handlers_modules:
            importlib.import_module(module)
    except Exception as exc:
        log.exception("task %s: importing the handler modules failed", task_id.key())
        return TaskResult(task_id=task_id, status="failed", error=classify(exc))
    return execute(
        task_id,
        spec.message.handler,
        spec.params,
        ctx=PipeContext(conn, task_id, spec.checkpoint),
        blobs=lambda: JsonBlobs(open_blob_store(spec.storage)),
        large_output_bytes=spec.message.large_output_bytes,
        guard=lambda: _memory_limit(spec.memory_limit_mb),
    )


def child_main(conn: Connection, spec: ProcessSpec, parent_pid: int) -> None:
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

    def __init__(self, spec: ProcessSpec) -> None:
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
