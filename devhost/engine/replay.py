"""Shadow replay: decide which actions of an episode are new work, the way the host does.

The SDK returns the complete, append-only action list of the current execution (schema V3).
The real host replays a shim that invokes those actions in order, awaiting each, while it
walks the history; every invocation takes the next sequence id, so ids are handed out in
*continuation order* (a retry timer gets its id when the failure is processed). Scheduling
events already in the history must match the action that now owns their id, otherwise the
orchestration is non-deterministic. Actions left without a scheduling event are new work.

Contract: `shadow_replay(actions, history, execution_id)` is pure and never raises for a
well-formed action list; a determinism problem is returned in `ReplayResult.error`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from devhost.engine.history import Event, EventType
from devhost.timeutil import parse_ts, to_history_ts

Outcome = tuple[bool, Any]
Proc = Generator["Fut", Outcome, Outcome]

HTTP_ACTIVITY = "BuiltIn::HttpActivity"
_SIX_DAYS_MS = 6 * 24 * 3600 * 1000


class Fut:
    """A minimal synchronous future; callbacks run inline, as the host's continuations do."""

    __slots__ = ("callbacks", "done", "ok", "value")

    def __init__(self) -> None:
        self.done = False
        self.ok = True
        self.value: Any = None
        self.callbacks: list[Callable[[Fut], None]] = []

    def resolve(self, ok: bool, value: Any = None) -> None:
        if self.done:
            return
        self.done, self.ok, self.value = True, ok, value
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            callback(self)

    def on_done(self, callback: Callable[[Fut], None]) -> None:
        if self.done:
            callback(self)
        else:
            self.callbacks.append(callback)


def resolved(ok: bool = True, value: Any = None) -> Fut:
    fut = Fut()
    fut.resolve(ok, value)
    return fut


def spawn(proc: Proc) -> Fut:
    """Run a generator-coroutine that yields futures and gets `(ok, value)` back."""
    result = Fut()

    def step(sent: Outcome | None) -> None:
        # Loop instead of recursing when the awaited future is already done, so a long
        # run of completed actions cannot exhaust the stack.
        while True:
            try:
                fut = proc.send(sent)  # type: ignore[arg-type]
            except StopIteration as stop:
                ok, value = stop.value
                result.resolve(ok, value)
                return
            if not fut.done:
                fut.on_done(lambda f: step((f.ok, f.value)))
                return
            sent = (fut.ok, fut.value)

    step(None)
    return result


@dataclass
class Want:
    """Work an action asks for at a sequence id."""

    task_id: int
    kind: EventType
    name: str | None
    input: str | None = None
    fire_at: str | None = None
    instance_id: str | None = None
    operation: str | None = None
    is_signal: bool = False
    request_id: str | None = None
    blocking: bool = True  # counts as an open task while pending (DTFx HasOpenTasks)


@dataclass
class ReplayResult:
    new_work: list[Want] = field(default_factory=list)
    canceled_timers: set[int] = field(default_factory=set)
    has_open_tasks: bool = False
    continue_as_new_input: str | None = None
    continued_as_new: bool = False
    error: str | None = None


_KIND_TEXT = {
    EventType.TASK_SCHEDULED: "an activity task",
    EventType.TIMER_CREATED: "a durable timer",
    EventType.SUB_ORCHESTRATION_CREATED: "a sub-orchestration",
    EventType.EVENT_SENT: "an entity operation",
}


class NonDeterminismError(Exception):
    """A replay scheduled different actions than the history recorded."""


class _Shadow:
    def __init__(self, actions: list[dict[str, Any]], execution_id: str) -> None:
        self.actions = actions
        self.execution_id = execution_id
        self.next_id = 0
        self.now: datetime | None = None
        self.wants: dict[int, Want] = {}
        self.recorded: set[int] = set()
        self.task_futs: dict[int, Fut] = {}
        self.entity_futs_by_id: dict[int, Fut] = {}
        self.named_futs: dict[str, Fut] = {}
        self.waiters: dict[str, list[Fut]] = {}
        self.buffered: dict[str, list[Any]] = {}
        self.result = ReplayResult()

    # --- invoking actions -------------------------------------------------------------
    def _take_id(self) -> int:
        task_id = self.next_id
        self.next_id += 1
        return task_id

    def _want(self, want: Want) -> Fut:
        self.wants[want.task_id] = want
        fut = Fut()
        self.task_futs[want.task_id] = fut
        return fut

    def invoke(self, action: dict[str, Any]) -> Fut:
        kind = action["actionType"]
        handler = self._handlers().get(kind)
        if handler is None:
            raise NonDeterminismError(f"Unsupported action type {kind}: {json.dumps(action)}")
        return handler(action)

    def _handlers(self) -> dict[int, Callable[[dict[str, Any]], Fut]]:
        return {
            0: self._activity,
            1: lambda a: spawn(self._retry(a, self._activity)),
            2: self._sub_orchestration,
            3: lambda a: spawn(self._retry(a, self._sub_orchestration)),
            4: self._continue_as_new,
            5: self._timer,
            6: lambda a: self._external_event(a["externalEventName"]),
            7: self._entity_call,
            8: self._http,
            9: self._entity_signal,
            11: lambda a: self._when_any([self.invoke(c) for c in a["compoundActions"]]),
            12: lambda a: self._when_all([self.invoke(c) for c in a["compoundActions"]]),
        }

    def _activity(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        return self._want(
            Want(task_id, EventType.TASK_SCHEDULED, action["functionName"], action.get("input"))
        )

    def _http(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        request = json.dumps(action["httpRequest"])
        return self._want(Want(task_id, EventType.TASK_SCHEDULED, HTTP_ACTIVITY, request))

    def _sub_orchestration(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        child_id = action.get("instanceId") or f"{self.execution_id}:{task_id}"
        want = Want(
            task_id,
            EventType.SUB_ORCHESTRATION_CREATED,
            action["functionName"],
            action.get("input"),
            instance_id=child_id,
        )
        return self._want(want)

    def _timer(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        fut = self._want(Want(task_id, EventType.TIMER_CREATED, None, fire_at=action["fireAt"]))
        if action.get("isCanceled"):
            self.result.canceled_timers.add(task_id)
            fut.resolve(False, "canceled")
        return fut

    def _retry_timer(self, delay: timedelta) -> Fut:
        assert self.now is not None
        task_id = self._take_id()
        fire_at = to_history_ts(self.now + delay)
        return self._want(Want(task_id, EventType.TIMER_CREATED, None, fire_at=fire_at))

    def _retry(self, action: dict[str, Any], call: Callable[[dict[str, Any]], Fut]) -> Proc:
        # DTFx RetryInterceptor, including the extra zero-delay timer after the last failure
        # that the SDK waits for before it raises.
        options = action.get("retryOptions") or {}
        attempts = max(1, int(options.get("maxNumberOfAttempts", 1)))
        first_ms = float(options.get("firstRetryIntervalInMilliseconds", 0))
        coefficient = float(options.get("backoffCoefficient", 1.0))
        max_ms = float(options.get("maxRetryIntervalInMilliseconds", _SIX_DAYS_MS))
        last: Outcome = (False, None)
        for attempt in range(attempts):
            last = yield call(action)
            if last[0]:
                return last
            if attempt + 1 == attempts:
                yield self._retry_timer(timedelta(0))
                break
            delay_ms = min(first_ms * coefficient**attempt, max_ms)
            yield self._retry_timer(timedelta(milliseconds=delay_ms))
        return last

    def _continue_as_new(self, action: dict[str, Any]) -> Fut:
        self._take_id()  # the SDK bumps its counter too
        self.result.continued_as_new = True
        self.result.continue_as_new_input = action.get("input")
        return resolved()

    def _external_event(self, name: str) -> Fut:
        fut = Fut()
        queue = self.buffered.get(name)
        if queue:
            fut.resolve(True, queue.pop(0))  # the host buffers FIFO per name
        else:
            self.waiters.setdefault(name, []).append(fut)
        return fut

    def _entity_call(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        want = Want(
            task_id,
            EventType.EVENT_SENT,
            action["operation"],
            action.get("input"),
            instance_id=action["instanceId"],
            operation=action["operation"],
            blocking=False,
        )
        self.wants[task_id] = want
        fut = Fut()
        self.entity_futs_by_id[task_id] = fut
        return fut

    def _entity_signal(self, action: dict[str, Any]) -> Fut:
        task_id = self._take_id()
        self.wants[task_id] = Want(
            task_id,
            EventType.EVENT_SENT,
            action["operation"],
            action.get("input"),
            instance_id=action["instanceId"],
            operation=action["operation"],
            is_signal=True,
            blocking=False,
        )
        return resolved()

    @staticmethod
    def _when_all(children: list[Fut]) -> Fut:
        # .NET Task.WhenAll completes when every child is done, failed or not.
        fut = Fut()
        remaining = [len(children)]
        if not children:
            fut.resolve(True)
            return fut

        def one_done(_: Fut) -> None:
            remaining[0] -= 1
            if remaining[0] == 0:
                fut.resolve(all(child.ok for child in children))

        for child in children:
            child.on_done(one_done)
        return fut

    @staticmethod
    def _when_any(children: list[Fut]) -> Fut:
        fut = Fut()
        if not children:
            fut.resolve(True)
        for child in children:
            child.on_done(lambda c: fut.resolve(True, c))
        return fut

    def driver(self) -> Proc:
        # V2/V3 host shim: invoke each action, then await it (errors swallowed).
        for action in self.actions:
            yield self.invoke(action)
        return (True, None)

    # --- walking the history ----------------------------------------------------------
    def walk(self, history: list[Event]) -> None:
        for ev in history:
            kind = ev["EventType"]
            if kind == EventType.ORCHESTRATOR_STARTED:
                self.now = parse_ts(ev["Timestamp"])
            elif kind == EventType.EXECUTION_STARTED:
                if self.now is None:
                    self.now = parse_ts(ev["Timestamp"])
                spawn(self.driver())
            elif kind in (EventType.TASK_COMPLETED, EventType.SUB_ORCHESTRATION_COMPLETED):
                self._complete(ev["TaskScheduledId"], True, ev.get("Result"))
            elif kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
                self._complete(ev["TaskScheduledId"], False, ev.get("Reason"))
            elif kind == EventType.TIMER_FIRED:
                if ev["TimerId"] not in self.result.canceled_timers:
                    self._complete(ev["TimerId"], True, None)
            elif kind == EventType.EVENT_RAISED:
                self._raise(ev["Name"], ev.get("Input"))
            elif kind in (
                EventType.TASK_SCHEDULED,
                EventType.TIMER_CREATED,
                EventType.SUB_ORCHESTRATION_CREATED,
                EventType.EVENT_SENT,
            ):
                self._check_recorded(ev)

    def _complete(self, task_id: int, ok: bool, value: Any) -> None:
        fut = self.task_futs.get(task_id)
        if fut is not None:
            fut.resolve(ok, value)

    def _raise(self, name: str, value: Any) -> None:
        named = self.named_futs.pop(name, None)
        if named is not None:
            named.resolve(True, value)
            return
        stack = self.waiters.get(name)
        if stack:
            stack.pop().resolve(True, value)  # most recent waiter wins, as in the host
        else:
            self.buffered.setdefault(name, []).append(value)

    def _check_recorded(self, ev: Event) -> None:
        task_id = ev["EventId"]
        kind = EventType(ev["EventType"])
        want = self.wants.get(task_id)
        recorded_name = ev.get("Name") if kind != EventType.EVENT_SENT else _sent_op(ev)
        if want is None:
            raise NonDeterminismError(
                f"Non-deterministic workflow detected: a previous execution of this "
                f"orchestration scheduled {_KIND_TEXT[kind]} with sequence ID {task_id}"
                f"{_named(recorded_name)}, but the current replay execution hasn't scheduled "
                f"it. Was a change made to the orchestrator code after this instance had "
                f"already started running?"
            )
        if want.kind != kind or (kind != EventType.TIMER_CREATED and want.name != recorded_name):
            raise NonDeterminismError(
                f"Non-deterministic workflow detected: a previous execution of this "
                f"orchestration scheduled {_KIND_TEXT[kind]} with sequence ID {task_id}"
                f"{_named(recorded_name)}, but the current replay execution scheduled "
                f"{_KIND_TEXT[want.kind]}{_named(want.name)} with that sequence ID. Was a "
                f"change made to the orchestrator code after this instance had already "
                f"started running?"
            )
        self.recorded.add(task_id)
        if kind == EventType.EVENT_SENT and task_id in self.entity_futs_by_id:
            request_id = json.loads(ev["Input"])["id"]
            self.named_futs[request_id] = self.entity_futs_by_id.pop(task_id)

    def finish(self) -> ReplayResult:
        result = self.result
        for task_id in sorted(self.wants):
            if task_id in self.recorded:
                continue
            want = self.wants[task_id]
            if want.kind == EventType.EVENT_SENT and not want.is_signal:
                want.request_id = str(uuid.uuid4())
            result.new_work.append(want)
        result.has_open_tasks = any(
            not fut.done and self.wants[task_id].blocking
            for task_id, fut in self.task_futs.items()
            if task_id not in result.canceled_timers
        )
        return result


def _sent_op(ev: Event) -> str | None:
    try:
        return cast("str | None", json.loads(ev.get("Input") or "{}").get("op"))
    except (ValueError, AttributeError):
        return ev.get("Name")


def _named(name: str | None) -> str:
    return f" and name '{name}'" if name else ""


def shadow_replay(
    actions: list[list[dict[str, Any]]] | list[dict[str, Any]],
    history: list[Event],
    execution_id: str,
) -> ReplayResult:
    """Replay `actions` (V2/V3 shape `[[...]]`) against `history`; return new work and checks."""
    flat: list[dict[str, Any]] = actions[0] if actions and isinstance(actions[0], list) else actions  # type: ignore[assignment]
    shadow = _Shadow(flat, execution_id)
    try:
        shadow.walk(history)
    except NonDeterminismError as exc:
        return ReplayResult(error=str(exc))
    return shadow.finish()
