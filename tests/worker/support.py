"""Helpers for the worker tests: a stand-in Durable HTTP API, task factories, worker runners."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azure.storage.queue import QueueClient

from adapters.taskqueue import TaskQueueSettings, open_task_queue
from adapters.taskqueue.base import TaskQueue
from config.settings import WorkerSettings
from container_worker.progress import ProgressSink
from container_worker.worker import Worker
from domain.tasks import ReplyTo, TaskId, TaskMessage, TaskResult, task_event_name
from tests.support.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
EVENT_PATH = "/runtime/webhooks/durabletask/instances/"


@dataclass(frozen=True)
class RaisedEvent:
    instance_id: str
    event_name: str
    query: dict[str, str]
    content_type: str
    body: Any
    status: int

    def result(self) -> TaskResult:
        return TaskResult.model_validate(self.body)


class EventHost:
    """Records raise-event calls like the Functions host's webhook; can fail or refuse them."""

    def __init__(self) -> None:
        self.calls: list[RaisedEvent] = []
        self.gone: set[str] = set()  # raising an event answers 410
        self.ended: set[str] = set()  # the status endpoint says Completed
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._failures.extend(statuses)

    def accepted(self, instance_id: str | None = None) -> list[RaisedEvent]:
        with self._lock:
            return [
                c for c in self.calls if c.status == 202 and instance_id in (None, c.instance_id)
            ]

    def calls_for(self, task: TaskMessage) -> list[RaisedEvent]:
        with self._lock:
            return [c for c in self.calls if c.instance_id == task.reply_to.instance_id]

    def wait_accepted(
        self, instance_id: str, count: int = 1, timeout: float = 30
    ) -> list[RaisedEvent]:
        wait_until(
            lambda: len(self.accepted(instance_id)) >= count,
            timeout,
            f"{count} accepted event(s) for {instance_id}",
        )
        return self.accepted(instance_id)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, query: str, content_type: str, raw: bytes) -> int:
        instance_id, _, event = path[len(EVENT_PATH) :].partition("/raiseEvent/")
        instance_id, event = unquote(instance_id), unquote(event)
        with self._lock:
            if not content_type.startswith("application/json"):
                status = 400
            elif self._failures:
                status = self._failures.pop(0)
            else:
                status = 410 if instance_id in self.gone else 202
            params = {k: v[0] for k, v in parse_qs(query).items()}
            body = json.loads(raw) if raw else None
            self.calls.append(RaisedEvent(instance_id, event, params, content_type, body, status))
        return status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # instance status: only `ended` instances are known
                instance_id = unquote(urlsplit(self.path).path[len(EVENT_PATH) :])
                body = b'{"runtimeStatus": "Completed"}' if instance_id in host.ended else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not url.path.startswith(EVENT_PATH) or "/raiseEvent/" not in url.path:
                    status = 404
                else:
                    content_type = self.headers.get("Content-Type", "")
                    status = host._answer(url.path, url.query, content_type, raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class RecordingSink:
    def __init__(self) -> None:
        self.updates: list[tuple[TaskId, float, str]] = []

    def update(self, task_id: TaskId, percent: float, message: str) -> None:
        self.updates.append((task_id, percent, message))


def make_task(
    handler: str,
    params: dict[str, Any] | None = None,
    *,
    attempt: int = 1,
    timeout: float | None = None,
    job_id: str | None = None,
) -> TaskMessage:
    job_id = job_id or f"job-{uuid.uuid4().hex[:12]}"
    node_id = "heavy"
    return TaskMessage(
        task_id=TaskId(job_id=job_id, node_id=node_id, attempt=attempt),
        handler=handler,
        params=params or {},
        timeout_seconds=timeout,
        reply_to=ReplyTo(
            instance_id=f"orch-{job_id}",
            event_name=task_event_name(node_id, attempt),
            task_hub="TestHub",
        ),
    )


def task_queue(env: Mapping[str, str]) -> TaskQueue:
    return open_task_queue(TaskQueueSettings.from_env(env))


def raw_queue(env: Mapping[str, str], suffix: str = "") -> QueueClient:
    name = env["DAGMASTER_TASK_QUEUE_NAME"] + suffix
    return QueueClient.from_connection_string(env["DAGMASTER_STORAGE_CONNECTION_STRING"], name)


def queue_length(env: Mapping[str, str], suffix: str = "") -> int:
    """Messages in the queue, visible or not (Azurite counts both)."""
    with raw_queue(env, suffix) as client:
        return int(client.get_queue_properties().approximate_message_count or 0)


@contextlib.contextmanager
def running_worker(env: Mapping[str, str], sink: ProgressSink | None = None) -> Iterator[Worker]:
    """A worker in a background thread of the test process, stopped on exit."""
    worker = Worker.from_settings(WorkerSettings.from_env(env), sink)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the worker did not stop"


def worker_process(env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m container_worker`` as its own process, output into ``log_path``."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "container_worker"],
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
