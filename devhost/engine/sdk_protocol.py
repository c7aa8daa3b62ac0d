"""The orchestrator side of the SDK's JSON protocol: the context JSON devhost sends, and
how the SDK's answer (a state JSON, or an exception carrying `$OutOfProcData$`) is read.

Contract: `call_orchestrator(fn, context)` never raises; it returns the state (with the
actions scheduled before any failure) and the failure message, if there was one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from devhost.engine.history import Event, EventType
from devhost.store import InstanceRecord

OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"


def compact(ev: Event) -> str:
    return json.dumps(ev, separators=(",", ":"))


def played(ev: Event) -> Event:
    """The event as stored: DTFx marks processed events played, except OrchestratorStarted."""
    if ev["EventType"] != EventType.ORCHESTRATOR_STARTED:
        ev = {**ev, "IsPlayed": True}
    return ev


@dataclass
class CachedHistory:
    """Stored events of an instance, kept as JSON text and as dicts, so an episode never
    re-reads or re-parses the whole history from disk."""

    texts: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def extend(self, events: list[Event]) -> None:
        self.events.extend(events)
        self.texts.extend(compact(e) for e in events)


@dataclass
class SdkResult:
    state: dict[str, Any]
    error: str | None
    seconds: float


def context_json(inst: InstanceRecord, past: list[str], new_events: list[Event]) -> str:
    """The orchestration trigger payload (schema V3); joined from cached event texts."""
    texts = past + [compact(e) for e in new_events]
    input_value = None if inst.input is None else json.loads(inst.input)
    return (
        '{"history":['
        + ",".join(texts)
        + "]"
        + ',"input":'
        + json.dumps(input_value)
        + ',"instanceId":'
        + json.dumps(inst.instance_id)
        + ',"isReplaying":'
        + ("true" if past else "false")
        + ',"parentInstanceId":'
        + json.dumps(inst.parent_instance_id)
        + ',"upperSchemaVersion":1,"upperSchemaVersionNew":2}'
    )


def call_orchestrator(fn: Any, context: str) -> SdkResult:
    """Run the SDK's orchestrator `handle` (blocking; call it from a worker thread)."""
    started = time.perf_counter()
    try:
        out = fn(func.OrchestrationContext(context))
    except Exception as exc:  # the SDK reports orchestrator failures by raising
        seconds = time.perf_counter() - started
        raised = str(exc)
        if OUT_OF_PROC_MARKER in raised:
            head, tail = raised.split(OUT_OF_PROC_MARKER, 1)
            state = json.loads(tail)
            return SdkResult(state, state.get("error") or head, seconds)
        return SdkResult({"actions": [], "isDone": False}, raised, seconds)
    return SdkResult(json.loads(out or "{}"), None, time.perf_counter() - started)
