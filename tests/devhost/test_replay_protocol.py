"""Unit level: hand-built histories (in the host's event shapes, `devhost.engine.history`)
go through the real SDK, and the shadow replay must derive the work the host would schedule,
with the host's ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest

from devhost.engine import history as h
from devhost.engine.history import Event, EventType
from devhost.engine.replay import ReplayResult, shadow_replay
from devhost.timeutil import to_history_ts

T0 = datetime(2024, 1, 1, tzinfo=UTC)
EXEC = "exec1"


class History:
    """Builds a history episode by episode, like the host appends it."""

    def __init__(self, input_value: Any = None) -> None:
        self.input = input_value
        self.events: list[Event] = [
            h.orchestrator_started(T0),
            h.execution_started(T0, "orch", json.dumps(json.dumps(input_value)), "i1", EXEC),
        ]
        self.clock = T0

    def episode(self, *events: Event, seconds: float = 1) -> History:
        self.clock += timedelta(seconds=seconds)
        self.events.append(h.orchestrator_completed(self.clock))
        self.events.append(h.orchestrator_started(self.clock))
        self.events.extend(events)
        return self

    def scheduled(self, task_id: int, name: str) -> Event:
        return h.event(
            EventType.TASK_SCHEDULED, self.clock, task_id, Name=name, Version="", Input="[]"
        )

    def timer(self, task_id: int) -> Event:
        return h.event(
            EventType.TIMER_CREATED, self.clock, task_id, FireAt=to_history_ts(self.clock)
        )


def run_sdk(orchestrator: Any, hist: History) -> dict[str, Any]:
    handle = df.Orchestrator.create(orchestrator)
    context = json.dumps(
        {
            "history": hist.events,
            "input": json.dumps(hist.input),
            "instanceId": "i1",
            "isReplaying": False,
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
        }
    )
    try:
        return json.loads(handle(func.OrchestrationContext(context)))
    except Exception as exc:
        return json.loads(str(exc).split("\n\n$OutOfProcData$:", 1)[1])


def derive(orchestrator: Any, hist: History) -> tuple[dict[str, Any], ReplayResult]:
    state = run_sdk(orchestrator, hist)
    return state, shadow_replay(state["actions"], hist.events, EXEC)


def work(result: ReplayResult) -> list[tuple[int, str, str | None]]:
    return [(w.task_id, w.kind.name, w.name) for w in result.new_work]


def chain(context: df.DurableOrchestrationContext):
    a = yield context.call_activity("hello", "Tokyo")
    b = yield context.call_activity("hello", "Seattle")
    return [a, b]


def test_first_episode_schedules_first_activity_with_id_0() -> None:
    state, result = derive(chain, History())
    assert state["isDone"] is False
    assert work(result) == [(0, "TASK_SCHEDULED", "hello")]
    assert result.new_work[0].input == '"Tokyo"'
    assert result.has_open_tasks


def test_completed_activity_unblocks_next_one_with_id_1() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "hello"))
    hist.episode(h.task_completed(hist.clock, 0, '"Hello Tokyo"'))
    _, result = derive(chain, hist)
    assert work(result) == [(1, "TASK_SCHEDULED", "hello")]


def test_orchestration_done_without_open_tasks() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "hello"))
    hist.episode(h.task_completed(hist.clock, 0, '"a"'), hist.scheduled(1, "hello"))
    hist.episode(h.task_completed(hist.clock, 1, '"b"'))
    state, result = derive(chain, hist)
    assert state["isDone"] and state["output"] == ["a", "b"]
    assert result.new_work == [] and not result.has_open_tasks


def test_replay_that_schedules_a_different_activity_is_non_deterministic() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "goodbye"))
    _, result = derive(chain, hist)
    assert result.error is not None
    assert "Non-deterministic" in result.error and "'goodbye'" in result.error
    assert "'hello'" in result.error


def test_recorded_task_the_replay_never_schedules_is_non_deterministic() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "hello"), hist.scheduled(1, "extra"))
    _, result = derive(chain, hist)
    assert result.error is not None and "sequence ID 1" in result.error


def two_retries(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(1000, 2)
    first = context.call_activity_with_retry("A", options, 1)
    second = context.call_activity_with_retry("B", options, 2)
    return (yield context.task_all([first, second]))


def test_retry_timer_ids_follow_the_order_failures_arrive() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "A"), hist.scheduled(1, "B"))
    # B fails first, then A: B's retry timer takes id 2, A's takes id 3.
    hist.episode(
        h.task_failed(hist.clock, 1, "b broke", "d"), h.task_failed(hist.clock, 0, "a broke", "d")
    )
    _, result = derive(two_retries, hist)
    assert work(result) == [(2, "TIMER_CREATED", None), (3, "TIMER_CREATED", None)]
    fire_at = datetime.fromisoformat(result.new_work[0].fire_at.replace("Z", "+00:00"))
    assert fire_at == hist.clock + timedelta(seconds=1)


def test_last_retry_failure_adds_a_zero_delay_timer_before_the_error() -> None:
    hist = History()
    hist.episode(hist.scheduled(0, "A"), hist.scheduled(1, "B"))
    hist.episode(
        h.task_completed(hist.clock, 1, "2"),
        h.task_failed(hist.clock, 0, "a broke", "d"),
        hist.timer(2),
    )
    hist.episode(h.timer_fired(hist.clock, 2, to_history_ts(hist.clock)))
    hist.events.append(hist.scheduled(3, "A"))
    hist.episode(h.task_failed(hist.clock, 3, "a broke again", "d"))
    state, result = derive(two_retries, hist)
    assert work(result) == [(4, "TIMER_CREATED", None)]
    assert result.new_work[0].fire_at == to_history_ts(hist.clock)
    assert state["isDone"] is False  # the SDK raises only after that timer fires
    hist.events.append(hist.timer(4))
    hist.episode(h.timer_fired(hist.clock, 4, to_history_ts(hist.clock)))
    state, _ = derive(two_retries, hist)
    assert "a broke again" in state["error"]


def approval(context: df.DurableOrchestrationContext):
    timer = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    event = context.wait_for_external_event("Approve")
    winner = yield context.task_any([event, timer])
    if winner == event:
        if context.get_input() == "cancel":
            timer.cancel()
        return "approved"
    return "timeout"


def test_event_winning_a_race_cancels_the_timer_and_leaves_no_open_task() -> None:
    hist = History("cancel")
    hist.episode(hist.timer(0))
    hist.episode(h.event_raised(hist.clock, "Approve", '"yes"'))
    state, result = derive(approval, hist)
    assert state["isDone"] and result.canceled_timers == {0}
    assert not result.has_open_tasks


def test_uncanceled_timer_keeps_a_finished_orchestration_open() -> None:
    hist = History("keep")
    hist.episode(hist.timer(0))
    hist.episode(h.event_raised(hist.clock, "Approve", '"yes"'))
    state, result = derive(approval, hist)
    assert state["isDone"] and result.has_open_tasks


def two_events(context: df.DurableOrchestrationContext):
    a = yield context.wait_for_external_event("A")
    b = yield context.wait_for_external_event("B")
    return [a, b]


@pytest.mark.filterwarnings("ignore:Potential duplicate Task completion")
def test_event_raised_before_its_wait_is_delivered_when_the_wait_starts() -> None:
    hist = History()
    hist.episode(h.event_raised(hist.clock, "B", '"b"'))
    hist.episode(h.event_raised(hist.clock, "A", '"a"'))
    state, result = derive(two_events, hist)
    assert state["output"] == ["a", "b"] and result.error is None


def entity_then_activity(context: df.DurableOrchestrationContext):
    context.signal_entity(df.EntityId("Counter", "k"), "add", 1)
    total = yield context.call_entity(df.EntityId("Counter", "k"), "get")
    return (yield context.call_activity("report", total))


def test_entity_call_is_keyed_by_request_id_then_next_action_takes_next_id() -> None:
    _, first = derive(entity_then_activity, History())
    assert work(first) == [(0, "EVENT_SENT", "add"), (1, "EVENT_SENT", "get")]
    assert first.new_work[0].is_signal and first.new_work[1].request_id
    hist = History()
    request = {"op": "get", "id": "req-1", "parent": "i1"}
    hist.episode(
        h.event(
            EventType.EVENT_SENT,
            hist.clock,
            0,
            InstanceId="@counter@k",
            Name="op",
            Input=json.dumps({"op": "add", "signal": True}),
        ),
        h.event(
            EventType.EVENT_SENT,
            hist.clock,
            1,
            InstanceId="@counter@k",
            Name="op",
            Input=json.dumps(request),
        ),
    )
    hist.episode(h.event_raised(hist.clock, "req-1", json.dumps({"result": "5"})))
    _, result = derive(entity_then_activity, hist)
    assert work(result) == [(2, "TASK_SCHEDULED", "report")]
    assert result.new_work[0].input == "5"


def sub_orchestrations(context: df.DurableOrchestrationContext):
    return (
        yield context.task_all(
            [
                context.call_sub_orchestrator("child", 1),
                context.call_sub_orchestrator("child", 2, "fixed"),
            ]
        )
    )


def test_sub_orchestration_without_id_gets_execution_id_and_sequence_number() -> None:
    _, result = derive(sub_orchestrations, History())
    assert [(w.task_id, w.instance_id) for w in result.new_work] == [(0, f"{EXEC}:0"), (1, "fixed")]


def looping(context: df.DurableOrchestrationContext):
    n = context.get_input()
    yield context.call_activity("tick", n)
    context.continue_as_new(n + 1)


def test_continue_as_new_returns_the_next_input() -> None:
    hist = History(3)
    hist.episode(hist.scheduled(0, "tick"))
    hist.episode(h.task_completed(hist.clock, 0, None))
    state, result = derive(looping, hist)
    assert state["isDone"] and result.continued_as_new
    assert result.continue_as_new_input == "4"
