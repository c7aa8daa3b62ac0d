"""The engine facade: owns the store and the runners, and offers the management operations
(start, raise event, terminate, suspend, resume, purge, signal) the HTTP layer calls.

Contract: all methods run on the server's event loop. Management operations on one instance
take that instance's lock, so they never interleave with one of its episodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from config.settings import DevhostEnvSettings
from devhost.app_loader import FunctionIndex
from devhost.engine import history as h
from devhost.engine.activities import ActivityRunner
from devhost.engine.effects import Effects
from devhost.engine.entities import EntityRunner
from devhost.engine.invoker import Invoker
from devhost.engine.orchestrations import OrchestrationRunner
from devhost.engine.signal_faults import SignalFaults
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings
from devhost.store import InstanceQuery, InstanceRecord, NewEntityOp, NewMessage, Store
from devhost.timeutil import to_history_ts, utcnow

log = logging.getLogger("devhost")


class InstanceNotFound(Exception):
    """No orchestration instance has this id."""


class InstanceGone(Exception):
    """The instance is in a final state (the HTTP API answers 410)."""


class InstanceExists(Exception):
    """An orchestration instance with this id already exists."""


class UnknownFunction(ValueError):
    """The app registers no function of that name and kind."""


class Engine:
    def __init__(self, settings: DevhostSettings, index: FunctionIndex) -> None:
        self.settings = settings
        self.index = index
        self.keys = HostKeys.load_or_create(settings.data_dir)  # for durable client bindings
        self.store = Store(settings.data_dir / "devhost.sqlite3")
        hj = settings.host_json
        self.invoker = Invoker(hj.max_concurrent_activities, hj.max_concurrent_orchestrators)
        parts = (self.store, index, self.invoker, settings)
        self.orchestrations = OrchestrationRunner(*parts, scheduler=self)
        self.activities = ActivityRunner(*parts, keys=self.keys, scheduler=self)
        self.entities = EntityRunner(*parts, scheduler=self)
        self.signal_faults = SignalFaults.from_settings(DevhostEnvSettings.from_env())
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: list[tuple[float, str]] = []
        self._timer_wakeup = asyncio.Event()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Resume everything the store says is in flight (after a restart or a kill)."""
        self.spawn(self._timer_loop())
        self.activities.start()
        items = self.store.all_activity_items()
        for item in items:
            self.activities.dispatch(item)
        pending = self.store.pending_message_times()
        now = time.time()
        for instance_id, visible_at in pending:
            if visible_at <= now:
                self.orchestrations.kick(instance_id)
            else:
                self._add_timer(visible_at, instance_id)
        pending_instances = {instance_id for instance_id, _ in pending}
        for entity_id, visible_at in self.store.entities_with_ops():
            self.entities.kick(entity_id)
            self.entities.kick_at(entity_id, visible_at)
        if self.signal_faults.active:
            log.warning("test knob: %s", self.signal_faults.describe())
        if items or pending:
            log.info(
                "resumed %d activity item(s) and %d instance(s) with pending messages",
                len(items),
                len(pending_instances),
            )

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.invoker.shutdown()
        self.store.close()

    # --- dispatch ---------------------------------------------------------------------
    def after_commit(self, effects: Effects) -> None:
        for item in effects.activities:
            self.activities.dispatch(item)
        self.route_messages(effects.messages)
        for entity_id in effects.entities:
            self.entities.kick(entity_id)

    def route_messages(self, messages: list[NewMessage]) -> None:
        now = time.time()
        for msg in messages:
            if msg.visible_at <= now:
                self.orchestrations.kick(msg.instance_id)
            else:
                self._add_timer(msg.visible_at, msg.instance_id)

    def _add_timer(self, at: float, instance_id: str) -> None:
        if not self._timers or at < self._timers[0][0]:
            self._timer_wakeup.set()
        heapq.heappush(self._timers, (at, instance_id))

    async def _timer_loop(self) -> None:
        while True:
            now = time.time()
            while self._timers and self._timers[0][0] <= now:
                _, instance_id = heapq.heappop(self._timers)
                self.orchestrations.kick(instance_id)
            timeout = self._timers[0][0] - now if self._timers else None
            self._timer_wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wakeup.wait(), timeout)

    # --- instances --------------------------------------------------------------------
    async def start_instance(
        self, name: str, instance_id: str | None, input_json: str | None
    ) -> str:
        info = self.index.orchestrator(name)
        if info is None:
            raise UnknownFunction(
                f"The function '{name}' doesn't exist, is disabled, or is "
                f"not an orchestrator function."
            )
        instance_id = instance_id or uuid.uuid4().hex
        _validate_instance_id(instance_id)
        async with self.orchestrations.lock(instance_id):
            existing = self.store.get_instance(instance_id)
            if existing is not None and not existing.is_terminal:
                raise InstanceExists(
                    f"An instance with ID '{instance_id}' already exists and is {existing.status}."
                )
            with self.store.transaction() as db:
                msg = self.orchestrations.new_instance_rows(
                    db,
                    name=name,
                    instance_id=instance_id,
                    input_json=input_json,
                    parent=None,
                    now=utcnow(),
                )
        log.info("%s (%s): scheduled", name, instance_id)
        self.route_messages([msg])
        return instance_id

    def _live_instance(self, instance_id: str) -> InstanceRecord:
        inst = self.store.get_instance(instance_id)
        if inst is None:
            raise InstanceNotFound(instance_id)
        if inst.is_terminal:
            raise InstanceGone(instance_id)
        return inst

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        self._live_instance(instance_id)
        msg = NewMessage(instance_id, h.event_raised(utcnow(), name, input_json))
        with self.store.transaction() as db:
            self.store.add_messages(db, [msg])
        self.route_messages([msg])

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        async with self.orchestrations.lock(instance_id):
            inst = self._live_instance(instance_id)
            now = utcnow()
            events = [
                h.orchestrator_started(now),
                h.execution_terminated(now, reason),
                h.execution_completed(now, "Terminated", reason),
                h.orchestrator_completed(now),
            ]
            inst.status, inst.output = "Terminated", reason
            inst.last_updated_time = to_history_ts(now)
            with self.store.transaction() as db:
                self._append_events(db, inst, events)
                self.store.delete_all_messages(db, instance_id)
                db.execute("DELETE FROM activity_items WHERE instance_id = ?", (instance_id,))
                self.store.put_instance(db, inst)
                parent_msgs = self.orchestrations.notify_parent(db, inst, now)
            self.orchestrations.cache.pop(instance_id, None)
        log.info("%s (%s): terminated (%s)", inst.name, instance_id, reason)
        self.route_messages(parent_msgs)

    async def set_suspended(self, instance_id: str, suspend: bool, reason: str | None) -> None:
        async with self.orchestrations.lock(instance_id):
            inst = self._live_instance(instance_id)
            if (inst.status == "Suspended") == suspend:
                return
            now = utcnow()
            marker = h.execution_suspended if suspend else h.execution_resumed
            events = [
                h.orchestrator_started(now),
                marker(now, reason),
                h.orchestrator_completed(now),
            ]
            inst.status = "Suspended" if suspend else "Running"
            inst.last_updated_time = to_history_ts(now)
            # A Pending instance has no history yet: events before ExecutionStarted would
            # break the SDK's replay, so only its status changes.
            has_history = bool(self.orchestrations.history_of(instance_id).texts)
            with self.store.transaction() as db:
                if has_history:
                    self._append_events(db, inst, events)
                self.store.put_instance(db, inst)
        log.info("%s (%s): %s", inst.name, instance_id, "suspended" if suspend else "resumed")
        if not suspend:
            self.orchestrations.kick(instance_id)

    def _append_events(
        self, db: sqlite3.Connection, inst: InstanceRecord, events: list[dict[str, Any]]
    ) -> None:
        cached = self.orchestrations.history_of(inst.instance_id)
        played = [
            {**e, "IsPlayed": e["EventType"] != h.EventType.ORCHESTRATOR_STARTED} for e in events
        ]
        texts = [json.dumps(e, separators=(",", ":")) for e in played]
        self.store.append_history(db, inst.instance_id, len(cached.texts), texts)
        cached.extend(played)

    async def purge(self, instance_ids: list[str]) -> int:
        """Delete final-state instances and their history; return how many were deleted."""
        deleted = 0
        for instance_id in instance_ids:
            async with self.orchestrations.lock(instance_id):
                inst = self.store.get_instance(instance_id)
                if inst is None or not inst.is_terminal:
                    continue
                with self.store.transaction() as db:
                    self.store.delete_instance(db, instance_id)
                self.orchestrations.cache.pop(instance_id, None)
                deleted += 1
        return deleted

    def query(self, query: InstanceQuery) -> list[InstanceRecord]:
        return self.store.query_instances(query)

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        return [json.loads(t) for t in self.store.load_history(instance_id)]

    # --- entities ---------------------------------------------------------------------
    async def signal_entity(self, entity_id: str, op: str, input_json: str | None) -> None:
        """A client signal (the HTTP API's, which the SDK's client uses too)."""
        signal = NewEntityOp(entity_id, op, input_json, True)
        ops = self.signal_faults.apply(signal, time.time())
        with self.store.transaction() as db:
            self.store.add_entity_ops(db, ops)
        self.entities.kick(entity_id)
        self.entities.kick_at(entity_id, max(o.visible_at for o in ops))


def _validate_instance_id(instance_id: str) -> None:
    bad = set("/\\#?")
    if (
        not instance_id
        or instance_id.startswith("@")
        or len(instance_id) > 256
        or any(c in bad or ord(c) < 32 for c in instance_id)
    ):
        raise ValueError(
            f"Invalid instance id '{instance_id}': it must be 1-256 characters, "
            "not start with '@', and contain no '/', '\\', '#', '?' or control "
            "characters."
        )
