"""History events as the host writes them (DTFx names, PascalCase, integer ``EventType``).

Events are plain dicts so they can be stored and sent to the SDK without conversion.
``EventId`` is the sequence number on scheduling events and -1 on all others.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from devhost.timeutil import to_history_ts

Event = dict[str, Any]


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC_EVENT = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


SCHEDULING_TYPES = frozenset(
    {
        EventType.TASK_SCHEDULED,
        EventType.TIMER_CREATED,
        EventType.SUB_ORCHESTRATION_CREATED,
        EventType.EVENT_SENT,
    }
)


def event(kind: EventType, at: datetime, event_id: int = -1, **fields: Any) -> Event:
    """One history event; ``IsPlayed`` starts false and is set when the event is stored."""
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": to_history_ts(at),
        **fields,
    }


def orchestrator_started(at: datetime) -> Event:
    return event(EventType.ORCHESTRATOR_STARTED, at)


def orchestrator_completed(at: datetime) -> Event:
    return event(EventType.ORCHESTRATOR_COMPLETED, at)


def execution_started(
    at: datetime,
    name: str,
    input_json: str | None,
    instance_id: str,
    execution_id: str,
    parent: dict[str, Any] | None = None,
) -> Event:
    return event(
        EventType.EXECUTION_STARTED,
        at,
        Name=name,
        Version="",
        Input=input_json,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Tags=None,
    )


def task_completed(at: datetime, task_id: int, result: str | None) -> Event:
    return event(EventType.TASK_COMPLETED, at, TaskScheduledId=task_id, Result=result)


def task_failed(at: datetime, task_id: int, reason: str, details: str | None) -> Event:
    return event(EventType.TASK_FAILED, at, TaskScheduledId=task_id, Reason=reason, Details=details)


def timer_fired(at: datetime, timer_id: int, fire_at: str) -> Event:
    return event(EventType.TIMER_FIRED, at, TimerId=timer_id, FireAt=fire_at)


def event_raised(at: datetime, name: str, input_json: str | None) -> Event:
    return event(EventType.EVENT_RAISED, at, Name=name, Input=input_json)


def sub_orchestration_completed(at: datetime, task_id: int, result: str | None) -> Event:
    return event(EventType.SUB_ORCHESTRATION_COMPLETED, at, TaskScheduledId=task_id, Result=result)


def sub_orchestration_failed(at: datetime, task_id: int, reason: str, details: str | None) -> Event:
    return event(
        EventType.SUB_ORCHESTRATION_FAILED,
        at,
        TaskScheduledId=task_id,
        Reason=reason,
        Details=details,
    )


def execution_completed(at: datetime, status: str, result: str | None) -> Event:
    return event(
        EventType.EXECUTION_COMPLETED,
        at,
        OrchestrationStatus=status,
        Result=result,
        FailureDetails=None,
    )


def execution_terminated(at: datetime, reason: str | None) -> Event:
    return event(EventType.EXECUTION_TERMINATED, at, Input=reason)


def execution_suspended(at: datetime, reason: str | None) -> Event:
    return event(EventType.EXECUTION_SUSPENDED, at, Reason=reason)


def execution_resumed(at: datetime, reason: str | None) -> Event:
    return event(EventType.EXECUTION_RESUMED, at, Reason=reason)
