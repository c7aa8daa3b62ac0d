"""The supervisor: receives heavy tasks, runs each in its own process, raises their results.

One thread owns the queue (receive, renew, settle: the Service Bus receiver is not
thread-safe); result events are raised from a small thread pool because their retries can
take a while and renewals must go on meanwhile. Per message:

1. A result marker exists (the task finished before) -> re-send the stored result, no rerun.
2. Delivered more than ``max_deliveries`` times -> failed ``dead_lettered`` (retryable: the
   workers that held it vanished, the task itself may be fine), then dead-letter.
3. Otherwise run it in a child process, resuming from its checkpoint, renewing the message
   every third of the visibility timeout. Then:
   - result            -> store the marker, raise the event, complete (see `_settle`);
   - timeout           -> kill the child, failed ``timeout`` (retryable), complete;
   - child crashed     -> abandon for redelivery; on the last allowed delivery, failed
                          ``worker_crashed`` (not retryable), then dead-letter.
   When the message names a started event, it is raised as the child starts (best effort:
   the orchestration records `node.running`, and the time before it as queue time).
4. The event is raised before the message is settled, so delivery is at least once: the
   orchestration may see the same result event twice and must ignore the second.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for_pipes

from adapters.blob import open_blob_store
from adapters.catalog import CatalogUnavailable
from adapters.taskqueue import (
    JsonBlobs,
    MessageLost,
    PayloadMissing,
    ReceivedTask,
    TaskQueue,
    open_task_queue,
)
from config.settings import SettingsError, WorkerSettings
from container_worker.callback import (
    CallbackKeyRefused,
    CallbackRejected,
    Delivery,
    EventCallback,
)
from container_worker.checkpoints import TaskStore
from container_worker.executor import ProcessSpec, TaskProcess
from container_worker.progress import PROGRESS_MIN_INTERVAL, ProgressSink, configured_sink
from domain.tasks import ReplyTo, TaskMessage, TaskResult, TaskStarted

log = logging.getLogger(__name__)

DEAD_LETTER_KINDS = frozenset({"worker_crashed", "dead_lettered"})
SUPERVISE_INTERVAL = 0.2


@dataclass
class Slot:
    """One message the worker holds, from receipt until it is settled."""

    received: ReceivedTask
    next_renewal: float
    process: TaskProcess | None = None
    deadline: float | None = None
    result: TaskResult | None = None
    reporting: Future[Delivery] | None = None
    last_progress: float = 0.0
    pending_progress: tuple[float, str] | None = None  # held back by PROGRESS_MIN_INTERVAL
    settled: bool = False

    @property
    def message(self) -> TaskMessage:
        return self.received.message


class Worker:
    def __init__(
        self,
        settings: WorkerSettings,
        queue: TaskQueue,
        store: TaskStore,
        callback: EventCallback,
        sink: ProgressSink,
    ) -> None:
        self._settings = settings
        self._queue = queue
        self._store = store
        self._callback = callback
        self._sink = sink
        self._slots: list[Slot] = []
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="raise-event")
        self._next_receive = 0.0

    @classmethod
    def from_settings(cls, settings: WorkerSettings, sink: ProgressSink | None = None) -> Worker:
        """The worker the settings describe; ``sink`` overrides the configured progress sink."""
        for module in settings.handlers_modules:
            if importlib.util.find_spec(module) is None:
                raise SettingsError(
                    f"DAGMASTER_WORKER_HANDLERS_MODULES names '{module}', which cannot be imported"
                )
        callback = EventCallback(settings.callback)
        try:
            callback.check_key()
        except CallbackKeyRefused as exc:
            callback.close()
            raise SettingsError(str(exc)) from None
        if sink is None:
            try:
                sink = configured_sink(settings.progress_sink, settings.catalog)
            except CatalogUnavailable as exc:
                raise SettingsError(f"progress sink: {exc}") from None
        blobs = JsonBlobs(open_blob_store(settings.queue.storage))
        return cls(
            settings,
            open_task_queue(settings.queue, blobs),
            TaskStore(blobs),
            callback,
            sink,
        )

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set, then hand back every held message (see `_shutdown`)."""
        log.info(
            "worker started: queue=%s concurrency=%d",
            self._settings.queue.queue_name,
            self._settings.concurrency,
        )
        try:
            while not stop.is_set():
                self._receive()
                for slot in list(self._slots):
                    self._guard(slot, self._supervise)
                self._slots = [s for s in self._slots if not s.settled]
                self._idle(stop)
        finally:
            self._shutdown()

    # -- receiving and starting ---------------------------------------------------------

    def _receive(self) -> None:
        free = self._settings.concurrency - len(self._slots)
        if free <= 0 or time.monotonic() < self._next_receive:
            return
        try:
            batch = self._queue.receive(free, self._settings.visibility_timeout_seconds)
        except Exception:
            log.exception("receiving from the task queue failed")
            batch = []
        if not batch:
            self._next_receive = time.monotonic() + self._settings.poll_seconds
        for received in batch:
            slot = Slot(received, next_renewal=time.monotonic() + self._renew_every())
            self._slots.append(slot)
            self._guard(slot, self._start)

    def _start(self, slot: Slot) -> None:
        message, count = slot.message, slot.received.delivery_count
        stored = self._store.load_result(message.task_id)
        if stored is not None:
            log.info("task %s already finished: re-sending its result", message.task_id.key())
            self._report(slot, stored, store=False)
        elif count > self._queue.max_deliveries:
            reason = (
                f"delivered {count} times (maximum {self._queue.max_deliveries}) without finishing"
            )
            self._report(
                slot, TaskResult.failed(message.task_id, "dead_lettered", reason, retryable=True)
            )
        elif self._callback.instance_finished(message.reply_to):
            log.warning(
                "task %s not run: orchestration %s has ended (job cancelled or finished)",
                message.task_id.key(),
                message.reply_to.instance_id,
            )
            self._finish(slot, self._queue.complete)
        else:
            self._launch(slot)

    def _launch(self, slot: Slot) -> None:
        message = slot.message
        try:
            params = self._queue.resolve_params(message)
        except PayloadMissing as exc:
            failure = TaskResult.failed(
                message.task_id, "payload_missing", str(exc), retryable=False
            )
            self._report(slot, failure)
            return
        spec = ProcessSpec(
            message=message,
            params=params,
            checkpoint=self._store.load_checkpoint(message),
            handlers_modules=self._settings.handlers_modules,
            storage=self._settings.queue.storage,
            memory_limit_mb=self._settings.task_memory_mb,
        )
        slot.process = TaskProcess(spec)
        if message.timeout_seconds is not None:
            slot.deadline = time.monotonic() + message.timeout_seconds
        log.info(
            "task %s started (pid %s, delivery %d, %s)",
            message.task_id.key(),
            slot.process.pid,
            slot.received.delivery_count,
            "resuming from checkpoint" if spec.checkpoint else "fresh",
        )
        self._announce_start(message, slot.received.delivery_count)

    def _announce_start(self, message: TaskMessage, delivery: int) -> None:
        """Raise the message's started event, if it names one, without waiting for it."""
        name = message.reply_to.started_event_name
        if name is None:
            return
        reply_to = message.reply_to.model_copy(update={"event_name": name})
        started = TaskStarted(task_id=message.task_id, delivery=delivery)
        self._pool.submit(self._raise_started, reply_to, started)

    def _raise_started(self, reply_to: ReplyTo, started: TaskStarted) -> None:
        try:
            self._callback.raise_event(reply_to, started)
        except Exception as exc:  # the result still comes; only the queue time is lost
            log.warning("start of task %s not announced: %s", started.task_id.key(), exc)

    # -- supervising --------------------------------------------------------------------

    def _supervise(self, slot: Slot) -> None:
        if slot.reporting is not None:
            if slot.reporting.done():
                self._settle(slot)
        elif slot.process is not None:
            self._pump(slot)
            self._send_progress(slot)
            self._check_process(slot)
        if not slot.settled and time.monotonic() >= slot.next_renewal:
            self._renew(slot)

    def _pump(self, slot: Slot) -> None:
        assert slot.process is not None
        for event in slot.process.events():
            kind = event[0]
            if kind == "progress":
                self._progress(slot, event[1], event[2])
            elif kind == "checkpoint":
                self._save_checkpoint(slot, event[1])
            elif kind == "result":
                slot.result = TaskResult.model_validate(event[1])

    def _check_process(self, slot: Slot) -> None:
        process, task_id = slot.process, slot.message.task_id
        assert process is not None
        if slot.result is not None:
            process.join(2)  # it exits right after sending; stop() handles stragglers
            process.stop()
            self._report(slot, slot.result)
        elif process.exitcode() is not None:
            self._pump(slot)  # a result may have landed just before the exit
            if slot.result is None:
                self._crashed(slot, process.exitcode())
        elif slot.deadline is not None and time.monotonic() > slot.deadline:
            process.stop(grace=0)
            reason = f"exceeded its timeout of {slot.message.timeout_seconds:g} s"
            log.warning("task %s %s: killed", task_id.key(), reason)
            self._report(
                slot, TaskResult.failed(task_id, "timeout", f"task {reason}", retryable=True)
            )

    def _crashed(self, slot: Slot, exitcode: int | None) -> None:
        count, task_id = slot.received.delivery_count, slot.message.task_id
        assert slot.process is not None
        slot.process.stop()
        what = f"task process died (exit code {exitcode})"
        if count < self._queue.max_deliveries:
            log.warning("%s: %s on delivery %d; redelivering", task_id.key(), what, count)
            self._finish(slot, self._queue.abandon)
            return
        reason = f"{what} on each of {count} deliveries"
        self._report(slot, TaskResult.failed(task_id, "worker_crashed", reason, retryable=False))

    def _progress(self, slot: Slot, percent: float, text: str) -> None:
        slot.pending_progress = (percent, text)
        self._send_progress(slot)

    def _send_progress(self, slot: Slot) -> None:
        """The latest update, unless one went out less than PROGRESS_MIN_INTERVAL ago."""
        if slot.pending_progress is None:
            return
        percent, text = slot.pending_progress
        now = time.monotonic()
        if percent >= 100 or now - slot.last_progress >= PROGRESS_MIN_INTERVAL:
            slot.last_progress, slot.pending_progress = now, None
            self._sink.update(slot.message.task_id, percent, text)

    def _save_checkpoint(self, slot: Slot, state: dict[str, object]) -> None:
        assert slot.process is not None
        try:
            self._store.save_checkpoint(slot.message, state)
        except Exception as exc:
            log.exception("saving the checkpoint of %s failed", slot.message.task_id.key())
            slot.process.reply("nack", f"{type(exc).__name__}: {exc}")
        else:
            slot.process.reply("ack")

    def _renew(self, slot: Slot) -> None:
        slot.next_renewal = time.monotonic() + self._renew_every()
        try:
            self._queue.renew(slot.received)
        except MessageLost as exc:
            # Keep going: the result marker stops a second run from redoing finished work.
            log.warning("%s; the task may run twice", exc)

    def _renew_every(self) -> float:
        return self._settings.visibility_timeout_seconds / 3

    # -- reporting and settling ---------------------------------------------------------

    def _report(self, slot: Slot, result: TaskResult, *, store: bool = True) -> None:
        slot.result = result
        slot.reporting = self._pool.submit(self._deliver, slot.message, result, store)

    def _deliver(self, message: TaskMessage, result: TaskResult, store: bool) -> Delivery:
        if store:
            self._store.save_result(result)
        return self._callback.raise_event(message.reply_to, result)

    def _settle(self, slot: Slot) -> None:
        assert slot.reporting is not None and slot.result is not None
        key = slot.message.task_id.key()
        try:
            delivery = slot.reporting.result()
        except CallbackRejected as exc:
            reason = str(exc)
            self._finish(slot, lambda received: self._queue.dead_letter(received, reason))
            return
        except Exception as exc:
            log.error("result of %s not delivered (%s); the message will return", key, exc)
            self._finish(slot, self._queue.abandon)
            return
        if delivery is Delivery.INSTANCE_GONE:
            log.warning(
                "orchestration %s of task %s is gone (404/410): dropping the result",
                slot.message.reply_to.instance_id,
                key,
            )
        else:
            error = slot.result.error
            log.info(
                "task %s %s: event %s raised",
                key,
                error.kind if error else slot.result.status,
                slot.message.reply_to.event_name,
            )
        self._finish(slot, self._disposition(slot.result))
        if slot.result.status == "completed":
            with contextlib.suppress(Exception):
                self._store.delete_checkpoint(slot.message)

    def _disposition(self, result: TaskResult) -> Callable[[ReceivedTask], None]:
        if result.error is not None and result.error.kind in DEAD_LETTER_KINDS:
            reason = f"{result.error.kind}: {result.error.message}"
            return lambda received: self._queue.dead_letter(received, reason)
        return self._queue.complete

    def _finish(self, slot: Slot, settle: Callable[[ReceivedTask], None]) -> None:
        slot.settled = True
        try:
            settle(slot.received)
        except MessageLost as exc:
            log.warning("%s", exc)

    def _guard(self, slot: Slot, step: Callable[[Slot], None]) -> None:
        """Run ``step``; an unexpected error hands the message back instead of killing us."""
        try:
            step(slot)
        except Exception:
            log.exception("task %s: unexpected worker error", slot.message.task_id.key())
            if slot.process is not None:
                slot.process.stop()
            if not slot.settled:
                with contextlib.suppress(Exception):
                    self._finish(slot, self._queue.abandon)
            slot.settled = True

    def _idle(self, stop: threading.Event) -> None:
        pipes = [
            s.process.conn for s in self._slots if s.process is not None and s.reporting is None
        ]
        if pipes:
            wait_for_pipes(pipes, timeout=SUPERVISE_INTERVAL)
        elif self._slots:
            stop.wait(SUPERVISE_INTERVAL)
        else:
            stop.wait(max(0.0, min(self._next_receive - time.monotonic(), 1.0)))

    # -- stopping -----------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Save what the children reported, stop them and hand their messages back.

        Every checkpoint a handler saved is already durable (`save_checkpoint` waits for it);
        pending ones still in the pipe are written here. A finished but unreported result is
        stored as a marker, so the redelivery re-sends it instead of rerunning the task.
        """
        for slot in self._slots:
            self._guard(slot, self._hand_back)
        self._slots = []
        self._pool.shutdown(wait=False, cancel_futures=True)
        closers = [self._queue.close, self._store.close, self._callback.close]
        closers += [c for c in [getattr(self._sink, "close", None)] if callable(c)]
        for close in closers:
            with contextlib.suppress(Exception):
                close()
        log.info("worker stopped")

    def _hand_back(self, slot: Slot) -> None:
        if slot.reporting is not None and slot.reporting.done():
            self._settle(slot)
            return
        if slot.process is not None and slot.reporting is None:
            self._pump(slot)
            slot.process.stop()
            if slot.result is not None:
                self._store.save_result(slot.result)
        log.info("task %s handed back to the queue", slot.message.task_id.key())
        self._finish(slot, self._queue.abandon)
