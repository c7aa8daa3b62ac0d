"""Status JSON (`StatusResponsePayload`) and the `historyEvents` view, shaped as Azure's."""

from __future__ import annotations

import json
from typing import Any

from devhost.engine.history import EventType
from devhost.store import InstanceRecord
from devhost.timeutil import parse_ts, to_status_ts


def parse_stored(text: str | None) -> Any:
    """Stored strings are returned parsed when they are JSON, else raw (e.g. reasons)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def status_payload(
    rec: InstanceRecord,
    *,
    show_input: bool = True,
    history: list[dict[str, Any]] | None = None,
    show_history_output: bool = False,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": rec.name,
        "instanceId": rec.instance_id,
        "runtimeStatus": rec.status,
        "input": parse_stored(rec.input) if show_input else None,
        "customStatus": parse_stored(rec.custom_status),
        "output": parse_stored(rec.output),
        "createdTime": _status_time(rec.created_time),
        "lastUpdatedTime": _status_time(rec.last_updated_time),
    }
    if history is not None:
        payload["historyEvents"] = history_view(history, show_input, show_history_output)
    return payload


_SCHEDULED_FOR = {
    EventType.TASK_COMPLETED: EventType.TASK_SCHEDULED,
    EventType.TASK_FAILED: EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_COMPLETED: EventType.SUB_ORCHESTRATION_CREATED,
    EventType.SUB_ORCHESTRATION_FAILED: EventType.SUB_ORCHESTRATION_CREATED,
}
_HIDDEN = {
    EventType.ORCHESTRATOR_STARTED,
    EventType.ORCHESTRATOR_COMPLETED,
    EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_CREATED,
}


def history_view(
    events: list[dict[str, Any]], show_input: bool, show_output: bool
) -> list[dict[str, Any]]:
    """The extension's transformation: scheduling events folded into their completions,
    enum names instead of numbers, ids and replay flags removed."""
    kinds = set(_SCHEDULED_FOR.values())
    scheduled = {(e["EventType"], e["EventId"]): e for e in events if e["EventType"] in kinds}
    view = []
    for ev in events:
        kind = EventType(ev["EventType"])
        if kind in _HIDDEN:
            continue
        out = {
            k: v
            for k, v in ev.items()
            if k not in ("EventId", "IsPlayed", "TaskScheduledId", "TimerId")
        }
        out["EventType"] = _pascal(kind)
        if kind in _SCHEDULED_FOR:
            origin = scheduled.get((_SCHEDULED_FOR[kind], ev["TaskScheduledId"]))
            if origin is not None:
                out["FunctionName"] = origin.get("Name")
                out["ScheduledTime"] = origin.get("Timestamp")
                if show_input:
                    out["Input"] = origin.get("Input")
        if kind == EventType.EXECUTION_STARTED:
            out["FunctionName"] = out.pop("Name", None)
            for key in ("OrchestrationInstance", "ParentInstance", "Version", "Tags"):
                out.pop(key, None)
        if "Result" in out:
            if show_output:
                out["Result"] = parse_stored(out["Result"])
            else:
                out.pop("Result")
        if not show_input:
            out.pop("Input", None)
        view.append(out)
    return view


def _status_time(stored: str) -> str:
    # Stored with microseconds (so queries and paging order precisely); shown in the
    # extension's "s" format.
    return to_status_ts(parse_ts(stored))


def _pascal(kind: EventType) -> str:
    names = {
        EventType.SUB_ORCHESTRATION_CREATED: "SubOrchestrationInstanceCreated",
        EventType.SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationInstanceCompleted",
        EventType.SUB_ORCHESTRATION_FAILED: "SubOrchestrationInstanceFailed",
    }
    return names.get(kind) or "".join(p.capitalize() for p in kind.name.split("_"))
