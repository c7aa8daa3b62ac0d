"""Orchestration episodes: history in, actions out, new work decided by shadow replay.

Contract: `OrchestrationRunner.kick(instance_id)` makes sure one episode loop runs for the
instance; episodes of one instance never overlap, and each one takes *every* message visible
at that moment (so a burst of completions is processed in one replay). An episode is one
SQLite transaction: its history rows, the messages it consumed and the work it scheduled
commit together, so a kill at any point either loses the whole episode (it runs again) or
none of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from devhost.engine import history as h
from devhost.engine.effects import Effects, Scheduler
from devhost.engine.history import Event, EventType
from devhost.engine.replay import HTTP_ACTIVITY, ReplayResult, Want, shadow_replay
from devhost.engine.sdk_protocol import (
    CachedHistory,
    SdkResult,
    call_orchestrator,
    compact,
    context_json,
    played,
)
from devhost.store import InstanceRecord, MessageRecord, NewEntityOp, NewMessage
from devhost.timeutil import parse_ts, to_history_ts, utcnow

if TYPE_CHECKING:
    import sqlite3

    from devhost.app_loader import FunctionIndex
    from devhost.engine.invoker import Invoker
    from devhost.settings import DevhostSettings
    from devhost.store import Store

log = logging.getLogger("devhost")


@dataclass
class EpisodeOutcome:
    status: str
    output: str | None = None
    failure: str | None = None
    continue_input: str | None = None


class OrchestrationRunner:
    def __init__(
        self,
        store: Store,
        index: FunctionIndex,
        invoker: Invoker,
        settings: DevhostSettings,
        scheduler: Scheduler,
    ) -> None:
        self.store = store
        self.index = index
        self.invoker = invoker
        self.settings = settings
        self.scheduler = scheduler
        self.cache: dict[str, CachedHistory] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self._dirty: set[str] = set()
        self._running: set[str] = set()
        self._semaphore = asyncio.Semaphore(settings.host_json.max_concurrent_orchestrators)
        # Time spent inside the SDK's orchestrator function, per instance: (seconds, episodes).
        self.replay_stats: dict[str, tuple[float, int]] = {}

    def lock(self, instance_id: str) -> asyncio.Lock:
        return self.locks.setdefault(instance_id, asyncio.Lock())

    def kick(self, instance_id: str) -> None:
        if instance_id in self._running:
            self._dirty.add(instance_id)
            return
        self._running.add(instance_id)
        self.scheduler.spawn(self._loop(instance_id))

    async def _loop(self, instance_id: str) -> None:
        try:
            while True:
                self._dirty.discard(instance_id)
                async with self._semaphore, self.lock(instance_id):
                    progressed = await self._episode(instance_id)
                if not progressed and instance_id not in self._dirty:
                    break
                # Yield so completions arriving meanwhile are batched into the next episode.
                await asyncio.sleep(0)
        except Exception:
            log.exception("episode loop of %s crashed", instance_id)
        finally:
            # Locks are kept: dropping one while a management call waits on it would let a
            # new episode take a fresh lock and overlap that call.
            self._running.discard(instance_id)

    def history_of(self, instance_id: str) -> CachedHistory:
        cached = self.cache.get(instance_id)
        if cached is None:
            cached = CachedHistory()
            cached.texts = self.store.load_history(instance_id)
            cached.events = [json.loads(t) for t in cached.texts]
            self.cache[instance_id] = cached
        return cached

    def new_instance_rows(
        self,
        db: sqlite3.Connection,
        *,
        name: str,
        instance_id: str,
        input_json: str | None,
        parent: tuple[dict[str, Any], str, int] | None,
        now: datetime,
    ) -> NewMessage:
        """Write a Pending instance and its ExecutionStarted message (replacing old rows)."""
        self.store.delete_instance(db, instance_id)
        self.cache.pop(instance_id, None)
        execution_id = uuid.uuid4().hex
        parent_ref, parent_execution, parent_task = parent or (None, None, None)
        parent_id = parent_ref["OrchestrationInstance"]["InstanceId"] if parent_ref else None
        self.store.put_instance(
            db,
            InstanceRecord(
                instance_id,
                name,
                execution_id,
                "Pending",
                input_json,
                None,
                None,
                to_history_ts(now),
                to_history_ts(now),
                parent_id,
                parent_execution,
                parent_task,
            ),
        )
        started = h.execution_started(now, name, input_json, instance_id, execution_id, parent_ref)
        msg = NewMessage(instance_id, started, execution_id)
        self.store.add_messages(db, [msg])
        return msg

    def notify_parent(
        self, db: sqlite3.Connection, inst: InstanceRecord, now: datetime
    ) -> list[NewMessage]:
        """Tell a parent orchestration that this sub-orchestration finished."""
        if not inst.parent_instance_id or inst.parent_task_id is None:
            return []
        if inst.status == "Completed":
            ev = h.sub_orchestration_completed(now, inst.parent_task_id, inst.output)
        else:
            ev = h.sub_orchestration_failed(
                now, inst.parent_task_id, inst.output or inst.status, f"Message: {inst.output}"
            )
        msg = NewMessage(inst.parent_instance_id, ev, inst.parent_execution_id)
        self.store.add_messages(db, [msg])
        return [msg]

    # --- one episode ------------------------------------------------------------------
    async def _episode(self, instance_id: str) -> bool:
        store = self.store
        now = utcnow()
        messages = store.visible_messages(instance_id, now.timestamp())
        if not messages:
            return False
        inst = store.get_instance(instance_id)
        if inst is None or inst.is_terminal:
            with store.transaction() as db:
                store.delete_messages(db, [m.id for m in messages])
            self.cache.pop(instance_id, None)
            return False
        if inst.status == "Suspended":
            return False  # held until resume
        current = [m for m in messages if m.execution_id in (None, inst.execution_id)]
        if not current:
            with store.transaction() as db:
                store.delete_messages(db, [m.id for m in messages])
            return True
        await self._run_episode(inst, messages, current, now)
        return True

    async def _run_episode(
        self,
        inst: InstanceRecord,
        messages: list[MessageRecord],
        current: list[MessageRecord],
        now: datetime,
    ) -> None:
        past = self.history_of(inst.instance_id)
        new_events = [h.orchestrator_started(now)] + [m.event for m in current]
        for m in current:
            self._log_arrival(inst, m.event)
        info = self.index.orchestrator(inst.name)
        if info is None:
            sdk = SdkResult(
                {"actions": [], "isDone": False},
                _unknown_function(inst.name, "orchestrator", self.index.orchestrators),
                0.0,
            )
        else:
            sdk = await self._call_sdk(info.fn, inst, past, new_events)
        replay = shadow_replay(
            sdk.state.get("actions") or [], past.events + new_events, inst.execution_id
        )
        outcome = self._decide(inst, sdk, replay)
        self._commit(inst, messages, new_events, replay, outcome, sdk, now)

    async def _call_sdk(
        self, fn: Any, inst: InstanceRecord, past: CachedHistory, new_events: list[Event]
    ) -> SdkResult:
        context = context_json(inst, past.texts, new_events)
        if self.settings.verbose:
            log.info("history of %s sent to the SDK: %s", inst.instance_id, context)
        loop = asyncio.get_running_loop()
        sdk = await loop.run_in_executor(
            self.invoker.orchestrator_pool, call_orchestrator, fn, context
        )
        spent, count = self.replay_stats.get(inst.instance_id, (0.0, 0))
        self.replay_stats[inst.instance_id] = (spent + sdk.seconds, count + 1)
        return sdk

    def _decide(self, inst: InstanceRecord, sdk: SdkResult, replay: ReplayResult) -> EpisodeOutcome:
        failure = sdk.error and f"Orchestrator function '{inst.name}' failed: {sdk.error}"
        failure = failure or replay.error or self._unknown_targets(replay.new_work)
        if failure:
            return EpisodeOutcome("Failed", output=failure, failure=failure)
        if not sdk.state.get("isDone"):
            return EpisodeOutcome("Running")
        if replay.continued_as_new:
            return EpisodeOutcome("ContinuedAsNew", continue_input=replay.continue_as_new_input)
        if replay.has_open_tasks:
            # DTFx completes an instance only when no task (activity, sub-orchestration,
            # un-canceled timer) is outstanding; the next episode completes it.
            return EpisodeOutcome("Running")
        output = json.dumps(sdk.state["output"]) if "output" in sdk.state else None
        return EpisodeOutcome("Completed", output=output)

    def _unknown_targets(self, work: list[Want]) -> str | None:
        index = self.index
        for want in work:
            name = want.name or ""
            is_activity = want.kind == EventType.TASK_SCHEDULED and name != HTTP_ACTIVITY
            if is_activity and index.activity(name) is None:
                return _unknown_function(name, "activity", index.activities)
            is_child = want.kind == EventType.SUB_ORCHESTRATION_CREATED
            if is_child and index.orchestrator(name) is None:
                return _unknown_function(name, "orchestrator", index.orchestrators)
        return None

    # --- committing -------------------------------------------------------------------
    def _commit(
        self,
        inst: InstanceRecord,
        messages: list[MessageRecord],
        new_events: list[Event],
        replay: ReplayResult,
        outcome: EpisodeOutcome,
        sdk: SdkResult,
        now: datetime,
    ) -> None:
        store = self.store
        past = self.history_of(inst.instance_id)
        output_events = [self._scheduling_event(inst, w, now) for w in replay.new_work]
        if outcome.status in ("Completed", "Failed"):
            output_events.append(h.execution_completed(now, outcome.status, outcome.output))
        output_events.append(h.orchestrator_completed(now))
        stored = [played(e) for e in new_events + output_events]
        effects = Effects()
        with store.transaction() as db:
            store.append_history(
                db, inst.instance_id, len(past.texts), (compact(e) for e in stored)
            )
            store.delete_messages(db, [m.id for m in messages])
            if outcome.status != "Failed":
                self._schedule(db, inst, replay, effects, now)
            self._update_instance(db, inst, outcome, sdk, effects, now)
        past.extend(stored)
        if inst.is_terminal or outcome.status == "ContinuedAsNew":
            self.cache.pop(inst.instance_id, None)
        self._log_outcome(inst, outcome, replay)
        self.scheduler.after_commit(effects)

    def _scheduling_event(self, inst: InstanceRecord, want: Want, now: datetime) -> Event:
        if want.kind == EventType.TASK_SCHEDULED:
            return h.event(
                EventType.TASK_SCHEDULED,
                now,
                want.task_id,
                Name=want.name,
                Version="",
                Input=f"[{json.dumps(want.input)}]",
            )
        if want.kind == EventType.TIMER_CREATED:
            return h.event(EventType.TIMER_CREATED, now, want.task_id, FireAt=want.fire_at)
        if want.kind == EventType.SUB_ORCHESTRATION_CREATED:
            return h.event(
                EventType.SUB_ORCHESTRATION_CREATED,
                now,
                want.task_id,
                Name=want.name,
                Version="",
                InstanceId=want.instance_id,
                Input=want.input,
            )
        request: dict[str, Any] = {"op": want.operation, "input": want.input}
        if want.is_signal:
            request["signal"] = True
        else:
            request["id"] = want.request_id
            request["parent"] = inst.instance_id
            request["parentExecution"] = inst.execution_id
        return h.event(
            EventType.EVENT_SENT,
            now,
            want.task_id,
            InstanceId=want.instance_id,
            Name="op",
            Input=json.dumps(request),
        )

    def _schedule(
        self,
        db: sqlite3.Connection,
        inst: InstanceRecord,
        replay: ReplayResult,
        effects: Effects,
        now: datetime,
    ) -> None:
        store = self.store
        if replay.canceled_timers:
            store.delete_timer_messages(db, inst.instance_id, replay.canceled_timers)
        activities, timers, ops = [], [], []
        for want in replay.new_work:
            if want.kind == EventType.TASK_SCHEDULED:
                activities.append(
                    (inst.instance_id, inst.execution_id, want.task_id, want.name or "", want.input)
                )
            elif (
                want.kind == EventType.TIMER_CREATED and want.task_id not in replay.canceled_timers
            ):
                fire_at = want.fire_at or ""
                timers.append(
                    NewMessage(
                        inst.instance_id,
                        h.timer_fired(parse_ts(fire_at), want.task_id, fire_at),
                        inst.execution_id,
                        parse_ts(fire_at).timestamp(),
                    )
                )
            elif want.kind == EventType.SUB_ORCHESTRATION_CREATED:
                self._start_child(db, inst, want, effects, now)
            elif want.kind == EventType.EVENT_SENT:
                ops.append(
                    NewEntityOp(
                        want.instance_id or "",
                        want.operation or "",
                        None if want.input is None else json.dumps(want.input),
                        want.is_signal,
                        want.request_id,
                        None if want.is_signal else inst.instance_id,
                    )
                )
        effects.activities = store.add_activity_items(db, activities)
        store.add_messages(db, timers)
        store.add_entity_ops(db, ops)
        effects.messages.extend(timers)
        effects.entities.update(o.entity_id for o in ops)

    def _start_child(
        self,
        db: sqlite3.Connection,
        parent: InstanceRecord,
        want: Want,
        effects: Effects,
        now: datetime,
    ) -> None:
        child_id = want.instance_id or ""
        existing = self.store.get_instance(child_id)
        if existing is not None and not existing.is_terminal:
            reason = f"An orchestration with instance ID '{child_id}' already exists."
            msg = NewMessage(
                parent.instance_id,
                h.sub_orchestration_failed(now, want.task_id, reason, None),
                parent.execution_id,
            )
            self.store.add_messages(db, [msg])
            effects.messages.append(msg)
            return
        parent_ref = {
            "TaskScheduleId": want.task_id,
            "Name": parent.name,
            "OrchestrationInstance": {
                "InstanceId": parent.instance_id,
                "ExecutionId": parent.execution_id,
            },
        }
        msg = self.new_instance_rows(
            db,
            name=want.name or "",
            instance_id=child_id,
            input_json=None if want.input is None else json.dumps(want.input),
            parent=(parent_ref, parent.execution_id, want.task_id),
            now=now,
        )
        effects.messages.append(msg)

    def _update_instance(
        self,
        db: sqlite3.Connection,
        inst: InstanceRecord,
        outcome: EpisodeOutcome,
        sdk: SdkResult,
        effects: Effects,
        now: datetime,
    ) -> None:
        store = self.store
        custom = sdk.state.get("customStatus")
        inst.custom_status = None if custom is None else json.dumps(custom)
        inst.last_updated_time = to_history_ts(now)
        if outcome.status == "ContinuedAsNew":
            self._continue_as_new(db, inst, outcome, effects, now)
            return
        inst.status = outcome.status
        if outcome.status in ("Completed", "Failed"):
            inst.output = outcome.output
            effects.messages.extend(self.notify_parent(db, inst, now))
        store.put_instance(db, inst)

    def _continue_as_new(
        self,
        db: sqlite3.Connection,
        inst: InstanceRecord,
        outcome: EpisodeOutcome,
        effects: Effects,
        now: datetime,
    ) -> None:
        store = self.store
        store.clear_history(db, inst.instance_id)
        inst.execution_id = uuid.uuid4().hex
        inst.input = None if outcome.continue_input is None else json.dumps(outcome.continue_input)
        inst.status = "Running"
        store.put_instance(db, inst)
        parent = None
        if inst.parent_instance_id:
            parent = {
                "TaskScheduleId": inst.parent_task_id,
                "OrchestrationInstance": {
                    "InstanceId": inst.parent_instance_id,
                    "ExecutionId": inst.parent_execution_id,
                },
            }
        started = h.execution_started(
            now, inst.name, inst.input, inst.instance_id, inst.execution_id, parent
        )
        msg = NewMessage(inst.instance_id, started, inst.execution_id)
        store.add_messages(db, [msg])
        effects.messages.append(msg)

    # --- logs -------------------------------------------------------------------------
    def _log_arrival(self, inst: InstanceRecord, ev: Event) -> None:
        kind = ev["EventType"]
        if kind == EventType.TIMER_FIRED:
            log.info("%s (%s): timer %s fired", inst.name, inst.instance_id, ev["TimerId"])
        elif kind == EventType.EVENT_RAISED and not _is_guid(ev["Name"]):
            log.info("%s (%s): event '%s' received", inst.name, inst.instance_id, ev["Name"])
        elif kind == EventType.EXECUTION_STARTED:
            log.info("%s (%s): started", inst.name, inst.instance_id)

    def _log_outcome(
        self, inst: InstanceRecord, outcome: EpisodeOutcome, replay: ReplayResult
    ) -> None:
        if replay.new_work:
            log.debug(
                "%s (%s): scheduled %d task(s)", inst.name, inst.instance_id, len(replay.new_work)
            )
        if outcome.status == "Completed":
            log.info("%s (%s): completed", inst.name, inst.instance_id)
        elif outcome.status == "Failed":
            log.warning(
                "%s (%s): failed: %s",
                inst.name,
                inst.instance_id,
                (outcome.failure or "").splitlines()[0].rstrip(),
            )
        elif outcome.status == "ContinuedAsNew":
            log.info("%s (%s): continued as new", inst.name, inst.instance_id)


def _unknown_function(name: str | None, kind: str, known: dict[str, Any]) -> str:
    names = ", ".join(f"'{n}'" for n in sorted({i.name for i in known.values()}))
    return (
        f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. "
        f"Additional info: The following are the known {kind} functions: {names}."
    )


def _is_guid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
